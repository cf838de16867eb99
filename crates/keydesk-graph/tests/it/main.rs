//! Integration tests: the real client against an in-process fake of Graph and the token
//! endpoint on loopback. No network beyond 127.0.0.1.

mod auth;
mod batch;
mod fake;
mod resources;
mod transport;
