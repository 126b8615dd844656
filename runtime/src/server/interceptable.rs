//! [`InterceptableRequest`] and [`InterceptableResponse`]: the message types an
//! `#[intercepted]` method can serve, named in the error for one it cannot.

use std::marker::PhantomData;

mod sealed {
    /// In the signature of a method that only the runtime's impls can write: the traits
    /// are sealed without a supertrait, which would be reported beside their own message.
    #[derive(Debug)]
    pub struct Sealed;
}

/// A request message that an [`#[intercepted]`](crate::intercepted) method can take, as
/// `tonic::Request<M>` or `tonic::Request<tonic::Streaming<M>>`: every prost message.
/// Interceptors see the messages as prost messages, so a service built with another codec
/// cannot be `#[intercepted]`.
///
/// Implemented by the runtime for every prost message; only compile errors name it.
///
/// ```
/// fn servable<M: grpc_interceptor::server::InterceptableRequest>() {}
///
/// // `()` is a prost message: `google.protobuf.Empty`.
/// servable::<()>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[intercepted]` cannot serve a request of `{Self}`",
    label = "expected `tonic::Request<M>` or `tonic::Request<tonic::Streaming<M>>`, with `M` a prost message",
    note = "interceptors see the messages as prost messages (`prost::Message + Clone`, as prost-build derives them): a service with another codec cannot be `#[intercepted]`"
)]
pub trait InterceptableRequest {
    #[doc(hidden)]
    fn __grpc_interceptor_sealed(_: sealed::Sealed);

    #[doc(hidden)]
    fn __grpc_interceptor_check(_: PhantomData<Self>) {}
}

// The bounds are those of the probe's `Message` mode: a message that passes this check is
// served as one.
#[diagnostic::do_not_recommend]
impl<M: prost::Message + Clone + 'static> InterceptableRequest for M {
    fn __grpc_interceptor_sealed(_: sealed::Sealed) {}
}

/// A response message that an [`#[intercepted]`](crate::intercepted) method can return, as
/// `tonic::Response<M>`, or as the items of `tonic::Response<Self::XStream>`: every prost
/// message. See [`InterceptableRequest`].
///
/// ```
/// fn servable<M: grpc_interceptor::server::InterceptableResponse>() {}
///
/// servable::<()>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[intercepted]` cannot serve a response of `{Self}`",
    label = "expected `tonic::Response<M>`, with `M` a prost message, or `tonic::Response<Self::XStream>`",
    note = "interceptors see the messages as prost messages (`prost::Message + Clone`, as prost-build derives them): a service with another codec cannot be `#[intercepted]`"
)]
pub trait InterceptableResponse {
    #[doc(hidden)]
    fn __grpc_interceptor_sealed(_: sealed::Sealed);

    #[doc(hidden)]
    fn __grpc_interceptor_check(_: PhantomData<Self>) {}
}

#[diagnostic::do_not_recommend]
impl<M: prost::Message + Clone + 'static> InterceptableResponse for M {
    fn __grpc_interceptor_sealed(_: sealed::Sealed) {}
}
