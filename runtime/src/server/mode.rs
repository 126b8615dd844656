//! The four streaming modes: how a tonic body becomes an interceptor body and back, for a
//! single message ([`Message`]), a client stream ([`RequestStream`]) and a server stream
//! ([`ResponseStream`]).

use std::task::Poll;

use tonic::{Code, Status};

use super::response_stream::{InterceptedStream, ResultStream};
use crate::context::{Outcome, merge};
use crate::lifecycle::PendingEnd;
use crate::{MessageStream, Response};

/// How one side of a call (request or response) looks to tonic (`T`) and to interceptors
/// (`Payload`); `Out` is what goes on after the interceptors.
pub trait Kind<T> {
    /// The interceptors' view.
    type Payload: crate::Payload;
    /// What tonic takes after the interceptors.
    type Out;
    /// From the interceptors' view back to tonic's.
    fn outward(body: Self::Payload) -> Self::Out;
    /// [`outward`](Self::outward) on a request's body; the identity for a message, with no
    /// move of the request.
    #[inline(always)]
    fn outward_request(request: tonic::Request<Self::Payload>) -> tonic::Request<Self::Out> {
        request.map(Self::outward)
    }
    /// [`outward`](Self::outward) on a response's body.
    #[inline(always)]
    fn outward_response(response: Response<Self::Payload>) -> tonic::Response<Self::Out> {
        response.map(Self::outward)
    }
    /// [`outward_response`](Self::outward_response) of a call's ready poll.
    #[inline(always)]
    fn outward_poll(
        poll: Poll<Result<Response<Self::Payload>, Status>>,
    ) -> Poll<Result<tonic::Response<Self::Out>, Status>> {
        poll.map(|result| result.map(Self::outward_response))
    }
    /// Applies what the interceptors set on the context to a successful response;
    /// `trailers_layer` tells whether [`TrailersLayer`](crate::server::TrailersLayer) serves the call.
    fn finish(
        response: Response<Self::Payload>,
        outcome: Outcome,
        trailers_layer: bool,
    ) -> Result<Response<Self::Payload>, Status>;
}

/// The conversion from tonic's view to the interceptors', apart from [`Kind`]: its bounds
/// (a boxed stream must be `'static`) must not take part in normalizing `Kind::Payload`, or
/// the `Send` check of the method's future fails on erased lifetimes (rust#100013).
pub trait Inward<T>: Kind<T> {
    /// From tonic's view to the interceptors'.
    fn inward(body: T) -> Self::Payload;
    /// [`inward`](Self::inward) on a request's body; the identity for a message, with no
    /// move of the request.
    #[inline(always)]
    fn inward_request(request: tonic::Request<T>) -> tonic::Request<Self::Payload> {
        request.map(Self::inward)
    }
    /// [`inward`](Self::inward) on a response's body.
    #[inline(always)]
    fn inward_response(response: tonic::Response<T>) -> Response<Self::Payload> {
        response.map(Self::inward)
    }
}

/// A single message.
#[derive(Clone, Copy, Debug)]
pub struct Message;

/// A client stream (`tonic::Streaming<M>`).
#[derive(Clone, Copy, Debug)]
pub struct RequestStream;

/// A server stream (the service's associated stream type).
#[derive(Clone, Copy, Debug)]
pub struct ResponseStream;

impl<M: prost::Message + std::fmt::Debug + Clone + 'static> Inward<M> for Message {
    #[inline(always)]
    fn inward(body: M) -> M {
        body
    }

    #[inline(always)]
    fn inward_request(request: tonic::Request<M>) -> tonic::Request<M> {
        request
    }

    #[inline(always)]
    fn inward_response(response: tonic::Response<M>) -> Response<M> {
        response
    }
}

impl<M: prost::Message + std::fmt::Debug + Clone + 'static> Kind<M> for Message {
    type Payload = M;
    type Out = M;

    #[inline(always)]
    fn outward(body: M) -> M {
        body
    }

    #[inline(always)]
    fn outward_request(request: tonic::Request<M>) -> tonic::Request<M> {
        request
    }

    #[inline(always)]
    fn outward_response(response: Response<M>) -> tonic::Response<M> {
        response
    }

    /// The poll as it is: its result not moved out and back.
    #[inline(always)]
    fn outward_poll(
        poll: Poll<Result<Response<M>, Status>>,
    ) -> Poll<Result<tonic::Response<M>, Status>> {
        poll
    }

    fn finish(
        mut response: Response<M>,
        mut outcome: Outcome,
        trailers_layer: bool,
    ) -> Result<Response<M>, Status> {
        let tracker = outcome.tracker.take();
        if let Some(status) = outcome.error_status() {
            let status = outcome.apply_to_status(status);
            if let Some(tracker) = tracker {
                tracker.fire(status.clone(), false);
            }
            return Err(status);
        }
        merge(response.metadata_mut(), outcome.headers);
        if let Some(mut tracker) = tracker {
            tracker.count_response();
            if trailers_layer {
                // Told when the layer has written the body, or that it was not written.
                response.extensions_mut().insert(PendingEnd::new(tracker));
            } else {
                let trailers = outcome.trailers.clone();
                tracker.fire(Status::with_metadata(Code::Ok, "", trailers), false);
            }
        }
        if trailers_layer && !outcome.trailers.is_empty() {
            let trailers = outcome.trailers.into_headers();
            response
                .extensions_mut()
                .insert(crate::server::Pending(trailers));
        } else if !outcome.trailers.is_empty() {
            // tonic sends no custom trailers after a unary message: they go with the headers.
            merge(response.metadata_mut(), outcome.trailers);
        }
        Ok(response)
    }
}

impl<M: prost::Message + std::fmt::Debug + Default + Clone + 'static> Inward<tonic::Streaming<M>>
    for RequestStream
{
    fn inward(body: tonic::Streaming<M>) -> MessageStream<M> {
        MessageStream::from_tonic(body)
    }
}

impl<M: prost::Message + std::fmt::Debug + Default + Clone + 'static> Kind<tonic::Streaming<M>>
    for RequestStream
{
    type Payload = MessageStream<M>;
    type Out = tonic::Streaming<M>;

    fn outward(body: MessageStream<M>) -> tonic::Streaming<M> {
        body.into_tonic()
    }

    fn finish(
        mut response: Response<MessageStream<M>>,
        mut outcome: Outcome,
        _: bool,
    ) -> Result<Response<MessageStream<M>>, Status> {
        if let Some(tracker) = outcome.tracker.take() {
            response.get_mut().end_call_with(tracker);
        }
        Ok(response)
    }
}

impl<S: ResultStream + Send + 'static> Inward<S> for ResponseStream {
    fn inward(body: S) -> Self::Payload {
        MessageStream::new(body)
    }
}

impl<S: ResultStream + Send> Kind<S> for ResponseStream {
    type Payload = MessageStream<S::Message>;
    type Out = InterceptedStream<S>;

    fn outward(body: Self::Payload) -> InterceptedStream<S> {
        InterceptedStream::new(body)
    }

    fn finish(
        mut response: Response<Self::Payload>,
        mut outcome: Outcome,
        _: bool,
    ) -> Result<Response<Self::Payload>, Status> {
        if let Some(tracker) = outcome.tracker.take() {
            response.get_mut().end_call_with(tracker);
        }
        outcome.finish_stream(&mut response);
        Ok(response)
    }
}
