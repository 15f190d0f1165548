//! The SDK's own spellings of C integer types (from `c_types.h`), so the
//! generated header declares the vendor prototypes exactly as `espconn.h` does.
#![allow(non_camel_case_types)]

pub type sint8 = i8;
pub type uint8 = u8;
pub type sint16 = i16;
pub type uint16 = u16;
pub type uint32 = u32;
