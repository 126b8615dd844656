//! A client stream on its way to the handler: back into the `tonic::Streaming` a handler
//! takes, untouched when nothing wrapped it, re-encoded otherwise.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use bytes::{BufMut, Bytes, BytesMut};
use tokio_stream::Stream;
use tonic::Status;

use crate::MessageStream;

impl<M: prost::Message + Default + Send + 'static> MessageStream<M> {
    /// Converts into the `tonic::Streaming` a handler takes. A stream nobody wrapped is
    /// returned as it came; otherwise the messages are re-encoded for tonic to decode.
    pub(crate) fn into_tonic(mut self) -> tonic::Streaming<M> {
        match self.take_tonic() {
            Some(stream) => stream,
            None => tonic::Streaming::new_request(
                tonic_prost::ProstDecoder::<M>::default(),
                EncodeBody(self),
                None,
                None,
            ),
        }
    }
}

/// Re-encodes a wrapped client stream as gRPC frames for `tonic::Streaming` to decode.
struct EncodeBody<M>(MessageStream<M>);

impl<M: prost::Message + Send + 'static> http_body::Body for EncodeBody<M> {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        Poll::Ready(match ready!(Pin::new(&mut self.0).poll_next(cx)) {
            Some(Ok(message)) => {
                let len = message.encoded_len();
                let Ok(prefix) = u32::try_from(len) else {
                    return Poll::Ready(Some(Err(Status::resource_exhausted(
                        "message too large to re-encode",
                    ))));
                };
                let mut buf = BytesMut::with_capacity(5 + len);
                buf.put_u8(0);
                buf.put_u32(prefix);
                match message.encode(&mut buf) {
                    Ok(()) => Some(Ok(http_body::Frame::data(buf.freeze()))),
                    Err(err) => Some(Err(Status::internal(err.to_string()))),
                }
            }
            Some(Err(status)) => Some(Err(status)),
            None => None,
        })
    }
}
