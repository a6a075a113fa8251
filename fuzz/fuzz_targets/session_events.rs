#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cinder_fuzz::session::fuzz_session_events(data));
