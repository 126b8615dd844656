//! Guides: pages longer than the API docs, on running interceptors in a real service.
//!
//! - [`production`]: panics (`panic = "unwind"`, a panic hook that stays quiet for the
//!   panics answered with a status), state shared with end hooks, and choosing between an
//!   `#[interceptor]` fn, an `#[interceptor]` method and a hand-written [`CallInterceptor`](crate::CallInterceptor).

pub mod production;
