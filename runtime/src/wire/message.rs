//! [`WireMessage`]: a message on the wire path, decoded only when an interceptor asks for
//! it, re-encoded only if it was changed.

use std::any::Any;
use std::fmt;

use bytes::Bytes;
use tonic::Status;

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
    /// The encoded message, never compressed: the codec decompresses what it splits off a
    /// body, and compresses again what it frames.
    encoded: Bytes,
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
            decoded: None,
            changed: false,
        }
    }

    /// A message from a value, encoded when it is sent.
    pub fn new<T: prost::Message + Clone + 'static>(message: T) -> Self {
        Self {
            encoded: Bytes::new(),
            decoded: Some(Box::new(message)),
            changed: true,
        }
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
        let message = T::decode(self.encoded.clone())
            .map_err(|err| Status::internal(format!("cannot decode the message: {err}")))?;
        self.decoded = Some(Box::new(message));
        Ok(())
    }

    /// The encoded bytes, re-encoded first if the message was changed.
    pub(crate) fn into_bytes(mut self) -> Bytes {
        self.sync();
        self.encoded
    }
}

impl Clone for WireMessage {
    fn clone(&self) -> Self {
        Self {
            encoded: self.encoded.clone(),
            decoded: self.decoded.as_ref().map(|d| d.clone_box()),
            changed: self.changed,
        }
    }
}

impl fmt::Debug for WireMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireMessage")
            .field("len", &self.encoded.len())
            .field("decoded", &self.decoded.is_some())
            .finish()
    }
}
