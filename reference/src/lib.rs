#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;
// `#[derive(arbitrary::Arbitrary)]` expands to paths under `std` (a thread-local recursion guard).
#[cfg(all(feature = "arbitrary", not(feature = "std")))]
extern crate std;

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod codec;
pub mod envelope;
#[cfg(feature = "alloc")]
pub mod expiry;
pub mod identity;
pub mod primitives;
#[cfg(feature = "alloc")]
pub mod retention;
#[cfg(feature = "alloc")]
pub mod session;
pub mod testing;

#[cfg(feature = "arbitrary")]
pub mod fuzz_input;
#[cfg(feature = "quickcheck")]
pub mod quickcheck_gen;
#[cfg(feature = "proptest")]
pub mod strategies;
