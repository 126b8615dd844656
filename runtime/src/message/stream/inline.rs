//! A stream of a concrete type kept inside the [`MessageStream`](super::MessageStream)
//! itself, without a box: the handler's stream of a server-streaming call, which the
//! `#[intercepted]` path takes back out by type when no interceptor touched it.
//!
//! The space is there anyway (the enum of sources is as large as tonic's own stream), so a
//! stream that fits costs no allocation. It is never polled where it lies, since the
//! `MessageStream` moves: it is either taken out by value ([`Inline::take`]) or moved into a
//! pinned box first ([`Inline::into_boxed`]).

#![allow(
    unsafe_code,
    reason = "a stream stored in place, of a type known only to a vtable"
)]

use std::any::TypeId;
use std::mem::{ManuallyDrop, MaybeUninit};

use tokio_stream::Stream;
use tonic::Status;

use super::BoxStream;

/// Room for a stream, in 8-byte words: with the vtable, 224 bytes on 64-bit targets, which
/// keeps the enum of sources no larger than its `tonic::Streaming` variant.
const WORDS: usize = 25;

type Room = MaybeUninit<[u64; WORDS]>;

/// A stream of some type `S` (see [`Inline::new`]), stored in place.
pub(super) struct Inline<M> {
    room: Room,
    vtable: VTable<M>,
}

/// What is known of the stored type.
struct VTable<M> {
    type_id: fn() -> TypeId,
    /// Moves the stream out of the room into a pinned box.
    into_boxed: unsafe fn(*const Room) -> BoxStream<M>,
    /// Drops the stream in the room.
    drop: unsafe fn(*mut Room),
}

/// The vtable of `S`.
struct Of<S, M>(std::marker::PhantomData<fn() -> (S, M)>);

impl<S, M> Of<S, M>
where
    S: Stream<Item = Result<M, Status>> + Send + 'static,
    M: 'static,
{
    const VTABLE: VTable<M> = VTable {
        type_id: TypeId::of::<S>,
        into_boxed: |room| {
            // SAFETY: the caller hands over a room holding an `S` (`Inline::new`), which it
            // no longer drops.
            Box::pin(unsafe { room.cast::<S>().read() })
        },
        drop: |room| {
            // SAFETY: as above; the room is not used again.
            unsafe { room.cast::<S>().drop_in_place() }
        },
    };
}

impl<M: 'static> Inline<M> {
    /// Stores `stream` in place, or gives it back if it does not fit (larger than the room,
    /// or aligned to more than a word).
    #[inline(always)]
    pub(super) fn new<S>(stream: S) -> Result<Self, S>
    where
        S: Stream<Item = Result<M, Status>> + Send + 'static,
    {
        if size_of::<S>() > size_of::<Room>() || align_of::<S>() > align_of::<Room>() {
            return Err(stream);
        }
        let mut room = Room::uninit();
        // SAFETY: the room is large and aligned enough for an `S` (checked above).
        unsafe { room.as_mut_ptr().cast::<S>().write(stream) };
        Ok(Self {
            room,
            vtable: Of::<S, M>::VTABLE,
        })
    }

    /// Whether the stream is an `S`.
    #[inline(always)]
    pub(super) fn is<S: 'static>(&self) -> bool {
        (self.vtable.type_id)() == TypeId::of::<S>()
    }

    /// The stream, if it is an `S`; otherwise it is dropped (ask [`is`](Self::is) first).
    #[inline(always)]
    pub(super) fn take<S: 'static>(self) -> Option<S> {
        if !self.is::<S>() {
            return None;
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: the room holds an `S` (its type id says so), moved out once: `this` is
        // not dropped.
        Some(unsafe { this.room.as_ptr().cast::<S>().read() })
    }

    /// The stream, moved into a pinned box to be polled.
    pub(super) fn into_boxed(self) -> BoxStream<M> {
        let this = ManuallyDrop::new(self);
        // SAFETY: the room holds the vtable's type, moved out once: `this` is not dropped.
        unsafe { (this.vtable.into_boxed)(&this.room) }
    }
}

impl<M> Drop for Inline<M> {
    fn drop(&mut self) {
        // SAFETY: the room holds the vtable's type, dropped once (`take` and `into_boxed`
        // do not run this).
        unsafe { (self.vtable.drop)(&mut self.room) }
    }
}

// `Inline` is `Send` (and `Sync`) whatever it holds, as its fields are: only `Send` streams
// are stored (`Inline::new`), and no `&self` method reaches the stream.

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};

    use super::*;

    /// A stream of `n` messages that counts its drops.
    struct Counted<const PAD: usize> {
        left: u32,
        drops: Arc<AtomicUsize>,
        _pad: [u8; PAD],
    }

    impl<const PAD: usize> Stream for Counted<PAD> {
        type Item = Result<u32, Status>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.left == 0 {
                return Poll::Ready(None);
            }
            self.left -= 1;
            Poll::Ready(Some(Ok(self.left)))
        }
    }

    impl<const PAD: usize> Drop for Counted<PAD> {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counted<const PAD: usize>(drops: &Arc<AtomicUsize>) -> Counted<PAD> {
        Counted {
            left: 2,
            drops: drops.clone(),
            _pad: [0; PAD],
        }
    }

    #[test]
    fn a_stream_that_fits_is_kept_and_dropped_once_whatever_becomes_of_it() {
        let drops = Arc::new(AtomicUsize::new(0));
        // Dropped in place.
        drop(Inline::new(counted::<8>(&drops)).ok().unwrap());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // Taken back out by its type.
        let inline = Inline::new(counted::<8>(&drops)).ok().unwrap();
        assert!(!inline.is::<Counted<9>>());
        let stream = inline.take::<Counted<8>>().unwrap();
        assert_eq!((stream.left, drops.load(Ordering::SeqCst)), (2, 1));
        drop(stream);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        // Asked for another type: dropped.
        let inline = Inline::new(counted::<8>(&drops)).ok().unwrap();
        assert!(inline.take::<Counted<9>>().is_none());
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        // Boxed and polled.
        let mut boxed = Inline::new(counted::<8>(&drops)).ok().unwrap().into_boxed();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(matches!(
            boxed.as_mut().poll_next(&mut cx),
            Poll::Ready(Some(Ok(1)))
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        drop(boxed);
        assert_eq!(drops.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_stream_too_large_or_too_aligned_is_given_back() {
        let drops = Arc::new(AtomicUsize::new(0));
        // The largest that fits, and one byte more.
        assert_eq!(size_of::<Counted<{ WORDS * 8 - 12 }>>(), size_of::<Room>());
        assert!(Inline::new(counted::<{ WORDS * 8 - 12 }>(&drops)).is_ok());
        assert!(Inline::new(counted::<{ WORDS * 8 - 11 }>(&drops)).is_err());
        #[repr(align(64))]
        struct Aligned(tokio_stream::Empty<Result<u32, Status>>);
        impl Stream for Aligned {
            type Item = Result<u32, Status>;
            fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                Poll::Ready(None)
            }
        }
        assert!(Inline::new(Aligned(tokio_stream::empty())).is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }
}
