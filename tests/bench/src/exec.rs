//! Driving in-process calls: a polling executor, request bodies and reading responses.

use std::convert::Infallible;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use tonic::codegen::http::HeaderMap;

/// Runs `future` to completion by polling it.
///
/// In-process calls never wait on I/O: a `Pending` is a cooperative yield that has already
/// woken the task, so polling again at once is all a runtime would do.
///
/// # Panics
///
/// When the future stays pending for ten million polls in a row: something waits on a
/// wake-up that never comes.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut pending = 0u32;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        pending += 1;
        assert!(
            pending < 10_000_000,
            "the call waits for something in-process"
        );
    }
}

/// A request body of one chunk of bytes (already gRPC-framed), sent as one data frame.
#[derive(Debug)]
pub struct OnceBody(Option<Bytes>);

impl OnceBody {
    /// A body holding `bytes`.
    pub fn new(bytes: Bytes) -> Self {
        Self(Some(bytes))
    }
}

impl Body for OnceBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().map(|bytes| Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

/// `messages`, each encoded as one gRPC frame (uncompressed), one after the other.
pub fn frames<M: prost::Message>(messages: impl IntoIterator<Item = M>) -> Bytes {
    let mut buf = BytesMut::new();
    for message in messages {
        let len = message.encoded_len();
        buf.reserve(5 + len);
        buf.put_u8(0);
        buf.put_u32(u32::try_from(len).expect("a small message"));
        message.encode(&mut buf).expect("capacity was reserved");
    }
    buf.freeze()
}

/// What a response carried: what a check compares, and what keeps the optimizer honest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Response messages.
    pub messages: usize,
    /// The `grpc-status` the call ended with, if any was found.
    pub status: Option<i32>,
}

/// Reads an HTTP response body to its end: counts the gRPC frames and finds `grpc-status`
/// in the trailers (or, for a trailers-only response, in `headers`).
pub async fn drain<B>(headers: &HeaderMap, body: B) -> Received
where
    B: Body,
    B::Error: std::fmt::Debug,
{
    let mut body = pin!(body);
    let mut counter = FrameCounter::default();
    let mut status = grpc_status(headers);
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        match frame.expect("the response body fails").into_data() {
            Ok(mut data) => counter.feed(&mut data),
            Err(frame) => {
                if let Some(trailers) = frame.trailers_ref() {
                    status = grpc_status(trailers).or(status);
                }
            }
        }
    }
    Received {
        messages: counter.frames,
        status,
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// Counts gRPC frames in a body that arrives in chunks of any size, without copying it.
#[derive(Default)]
struct FrameCounter {
    /// The header being read: how many of its 5 bytes are in, and the length so far.
    header_read: usize,
    len: usize,
    /// Message bytes still to skip.
    skip: usize,
    frames: usize,
}

impl FrameCounter {
    fn feed(&mut self, data: &mut impl Buf) {
        while data.has_remaining() {
            if self.skip > 0 {
                let n = self.skip.min(data.remaining());
                data.advance(n);
                self.skip -= n;
                continue;
            }
            let byte = data.get_u8();
            if self.header_read > 0 {
                self.len = (self.len << 8) | usize::from(byte);
            }
            self.header_read += 1;
            if self.header_read == 5 {
                self.frames += 1;
                self.skip = self.len;
                self.header_read = 0;
                self.len = 0;
            }
        }
    }
}
