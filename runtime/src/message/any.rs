//! [`AnyMessage`]: a message of any type, for interceptors that need no type list (counting
//! messages, logging sizes).

use std::any::Any;
use std::fmt;

use crate::WireMessage;

/// A message whatever its type: its Rust type name, its encoded length where known, and a
/// typed downcast. What [`PayloadExt::observe_messages`](crate::PayloadExt::observe_messages)
/// hooks see.
///
/// ```
/// use grpc_interceptor::AnyMessage;
/// # #[derive(Clone, PartialEq, prost::Message)]
/// # struct Hello { #[prost(string, tag = "1")] name: String }
/// let hello = Hello { name: "ferris".into() };
/// let any: &dyn AnyMessage = &hello;
/// assert!(any.type_name().ends_with("Hello"));
/// assert_eq!(any.encoded_size(), Some(8));
/// assert_eq!(any.downcast_ref::<Hello>().unwrap().name, "ferris");
/// ```
pub trait AnyMessage: Any + Send {
    /// The Rust type of the message; on a client's channel, [`WireMessage`] (the wire does
    /// not say the type: downcast and decode with [`WireMessage::get`]).
    fn type_name(&self) -> &'static str;

    /// The length of the encoded message (uncompressed), where known without encoding it.
    fn encoded_size(&self) -> Option<usize>;

    /// The message's `Debug` form (for a [`WireMessage`], its length: the wire does not
    /// say how to decode it).
    fn as_debug(&self) -> &dyn fmt::Debug;
}

impl dyn AnyMessage {
    /// The message, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        (self as &dyn Any).downcast_ref()
    }
}

impl<M: prost::Message + fmt::Debug + 'static> AnyMessage for M {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<M>()
    }

    fn encoded_size(&self) -> Option<usize> {
        Some(prost::Message::encoded_len(self))
    }

    fn as_debug(&self) -> &dyn fmt::Debug {
        self
    }
}

impl AnyMessage for WireMessage {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<WireMessage>()
    }

    fn encoded_size(&self) -> Option<usize> {
        self.known_len()
    }

    fn as_debug(&self) -> &dyn fmt::Debug {
        self
    }
}
