//! The `#[repr(C)]` structs programs see and may read directly, laid out
//! exactly as libevent 2.1 lays them out. One file per struct header (`event2/event_struct.h`, ...).

pub mod bufferevent_struct;
pub mod dns_struct;
pub mod event_struct;
pub mod http_struct;
pub mod keyvalq_struct;
pub mod rpc_struct;

pub use bufferevent_struct::*;
pub use dns_struct::*;
pub use event_struct::*;
pub use keyvalq_struct::*;
