#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cinder_fuzz::envelope::fuzz_envelope_open(data));
