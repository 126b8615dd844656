//! [`WireMessage`]: a message as it travels between a client and its channel, decoded only
//! when an interceptor asks for it, and the gRPC framing around it.

use std::any::Any;
use std::fmt;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Frame;
use tokio_stream::Stream;
use tonic::codegen::http::HeaderMap;
use tonic::{Code, Status};

use crate::MessageStream;

/// A gRPC message on the wire path (a client's channel): the encoded bytes, decoded on
/// demand into the type an interceptor asks for, and re-encoded only if it was changed.
///
/// ```
/// use grpc_interceptor::WireMessage;
///
/// # #[derive(Clone, PartialEq, prost::Message)]
/// # struct Hello { #[prost(string, tag = "1")] name: String }
/// let mut message = WireMessage::new(Hello { name: "ferris".into() });
/// assert_eq!(message.get::<Hello>().unwrap().name, "ferris");
/// message.get_mut::<Hello>().unwrap().name.make_ascii_uppercase();
/// let encoded = message.encoded().clone();
/// assert_eq!(WireMessage::from_bytes(encoded).get::<Hello>().unwrap().name, "FERRIS");
/// ```
pub struct WireMessage {
    encoded: Bytes,
    compressed: bool,
    decoded: Option<Box<dyn Decoded>>,
    changed: bool,
}

trait Decoded: Any + Send + Sync {
    fn encode(&self) -> Bytes;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn clone_box(&self) -> Box<dyn Decoded>;
}

impl<T: prost::Message + Clone + 'static> Decoded for T {
    fn encode(&self) -> Bytes {
        self.encode_to_vec().into()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn clone_box(&self) -> Box<dyn Decoded> {
        Box::new(self.clone())
    }
}

impl WireMessage {
    /// A message from its encoded (uncompressed) bytes.
    pub fn from_bytes(encoded: Bytes) -> Self {
        Self {
            encoded,
            compressed: false,
            decoded: None,
            changed: false,
        }
    }

    /// A message from a value, encoded when it is sent.
    pub fn new<T: prost::Message + Clone + 'static>(message: T) -> Self {
        Self {
            encoded: Bytes::new(),
            compressed: false,
            decoded: Some(Box::new(message)),
            changed: true,
        }
    }

    /// Whether the bytes are compressed (`grpc-encoding`); compressed messages pass through
    /// but cannot be decoded here.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The message decoded as `T` (decoded once, then kept).
    pub fn get<T: prost::Message + Default + Clone + 'static>(&mut self) -> Result<&T, Status> {
        self.decode::<T>()?;
        self.decoded
            .as_deref()
            .and_then(|d| d.as_any().downcast_ref())
            .ok_or_else(|| Status::internal("decoded message has another type"))
    }

    /// The message decoded as `T`, to change; it is re-encoded when sent.
    pub fn get_mut<T: prost::Message + Default + Clone + 'static>(
        &mut self,
    ) -> Result<&mut T, Status> {
        self.decode::<T>()?;
        self.changed = true;
        self.decoded
            .as_deref_mut()
            .and_then(|d| d.as_any_mut().downcast_mut())
            .ok_or_else(|| Status::internal("decoded message has another type"))
    }

    /// Replaces the message.
    pub fn set<T: prost::Message + Clone + 'static>(&mut self, message: T) {
        *self = Self::new(message);
    }

    /// The encoded bytes, re-encoded first if the message was changed.
    pub fn encoded(&mut self) -> &Bytes {
        self.sync();
        &self.encoded
    }

    /// The length of the encoded bytes, unless the message was changed since they were made.
    pub(crate) fn known_len(&self) -> Option<usize> {
        (!self.changed).then_some(self.encoded.len())
    }

    fn sync(&mut self) {
        if self.changed {
            if let Some(decoded) = &self.decoded {
                self.encoded = decoded.encode();
                self.compressed = false;
            }
            self.changed = false;
        }
    }

    fn decode<T: prost::Message + Default + Clone + 'static>(&mut self) -> Result<(), Status> {
        if self
            .decoded
            .as_deref()
            .is_some_and(|d| d.as_any().is::<T>())
        {
            return Ok(());
        }
        self.sync();
        if self.compressed {
            return Err(Status::unimplemented(
                "a compressed message cannot be decoded by an interceptor",
            ));
        }
        let message = T::decode(self.encoded.clone())
            .map_err(|err| Status::internal(format!("cannot decode the message: {err}")))?;
        self.decoded = Some(Box::new(message));
        Ok(())
    }

    /// The message as one gRPC frame: a compression flag, a length and the bytes.
    fn into_frame(mut self) -> Result<Bytes, Status> {
        self.sync();
        let len = u32::try_from(self.encoded.len())
            .map_err(|_| Status::resource_exhausted("message larger than 4 GiB"))?;
        let mut frame = BytesMut::with_capacity(5 + self.encoded.len());
        frame.put_u8(u8::from(self.compressed));
        frame.put_u32(len);
        frame.put(self.encoded);
        Ok(frame.freeze())
    }
}

impl Clone for WireMessage {
    fn clone(&self) -> Self {
        Self {
            encoded: self.encoded.clone(),
            compressed: self.compressed,
            decoded: self.decoded.as_ref().map(|d| d.clone_box()),
            changed: self.changed,
        }
    }
}

impl fmt::Debug for WireMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireMessage")
            .field("len", &self.encoded.len())
            .field("compressed", &self.compressed)
            .field("decoded", &self.decoded.is_some())
            .finish()
    }
}

/// Splits an HTTP/2 body into gRPC messages; a response's trailers become the final item
/// (an error status, or an OK status that carries the trailing metadata).
pub(crate) struct Frames<B> {
    body: Pin<Box<B>>,
    buf: BytesMut,
    done: bool,
}

impl<B> Frames<B> {
    pub(crate) fn new(body: B) -> Self {
        Self {
            body: Box::pin(body),
            buf: BytesMut::new(),
            done: false,
        }
    }

    fn next_message(&mut self) -> Option<WireMessage> {
        let len = self.buf.get(1..5)?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if self.buf.len() < 5 + len {
            return None;
        }
        let compressed = self.buf.get_u8() == 1;
        self.buf.advance(4);
        Some(WireMessage {
            compressed,
            ..WireMessage::from_bytes(self.buf.split_to(len).freeze())
        })
    }
}

impl<B> Stream for Frames<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Item = Result<WireMessage, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(message) = self.next_message() {
                return Poll::Ready(Some(Ok(message)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            match ready!(self.body.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.buf.extend_from_slice(&data),
                    Err(frame) => {
                        self.done = true;
                        let trailers = frame.into_trailers().unwrap_or_default();
                        return Poll::Ready(Some(Err(status_of_trailers(&trailers))));
                    }
                },
                Some(Err(err)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Status::from_error(err.into()))));
                }
                None => {
                    self.done = true;
                    if !self.buf.is_empty() {
                        return Poll::Ready(Some(Err(Status::internal(
                            "the body ended inside a message",
                        ))));
                    }
                }
            }
        }
    }
}

fn status_of_trailers(trailers: &HeaderMap) -> Status {
    Status::from_header_map(trailers)
        .unwrap_or_else(|| Status::internal("the response trailers have no grpc-status"))
}

/// Whether an outgoing body is a request (ends with the stream) or a response (ends with
/// trailers carrying the status).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Role {
    Request,
    Response,
}

/// Encodes a stream of wire messages as an HTTP/2 body of gRPC frames.
pub(crate) struct EncodeFrames {
    stream: MessageStream<WireMessage>,
    role: Role,
    done: bool,
}

impl EncodeFrames {
    pub(crate) fn new(stream: MessageStream<WireMessage>, role: Role) -> Self {
        Self {
            stream,
            role,
            done: false,
        }
    }

    fn trailers(&mut self, status: &Status) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        self.done = true;
        let mut trailers = HeaderMap::new();
        Poll::Ready(Some(
            status
                .add_header(&mut trailers)
                .map(|()| Frame::trailers(trailers)),
        ))
    }
}

impl http_body::Body for EncodeFrames {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if self.done {
            return Poll::Ready(None);
        }
        match ready!(Pin::new(&mut self.stream).poll_next(cx)) {
            Some(Ok(message)) => Poll::Ready(Some(message.into_frame().map(Frame::data))),
            Some(Err(status)) if self.role == Role::Response => self.trailers(&status),
            Some(Err(status)) => {
                self.done = true;
                Poll::Ready(Some(Err(status)))
            }
            None if self.role == Role::Response => self.trailers(&Status::new(Code::Ok, "")),
            None => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}
