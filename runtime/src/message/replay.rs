//! [`Replay`]: one source stream read once and yielded to several replicas in turn.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use tokio_stream::Stream;
use tonic::Status;

use crate::MessageStream;

/// A replica's view of a shared, recorded stream.
pub(crate) struct Replay<M> {
    recording: Arc<Mutex<Recording<M>>>,
    position: usize,
}

struct Recording<M> {
    source: MessageStream<M>,
    /// Items already read from the source, from `first` on.
    items: Vec<Result<M, Status>>,
    first: usize,
    ended: bool,
}

impl<M> Clone for Replay<M> {
    fn clone(&self) -> Self {
        Self {
            recording: Arc::clone(&self.recording),
            position: self.position,
        }
    }
}

impl<M: Send + 'static> Replay<M> {
    pub(crate) fn new(source: MessageStream<M>) -> Self {
        Self {
            recording: Arc::new(Mutex::new(Recording {
                source,
                items: Vec::new(),
                first: 0,
                ended: false,
            })),
            position: 0,
        }
    }

    /// A replica that starts from the first item.
    pub(crate) fn restart(mut self) -> Self {
        self.position = 0;
        self
    }
}

impl<M: Clone + Send + 'static> Stream for Replay<M> {
    type Item = Result<M, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let shared = Arc::strong_count(&self.recording) > 1;
        let mut recording = self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let recorded = self
            .position
            .checked_sub(recording.first)
            .and_then(|i| recording.items.get(i));
        if let Some(item) = recorded.cloned() {
            drop(recording);
            self.position += 1;
            return Poll::Ready(Some(item));
        }
        if recording.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut recording.source).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                recording.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(item)) => {
                if shared {
                    recording.items.push(item.clone());
                } else {
                    // The last replica: nobody will read these again.
                    recording.first += recording.items.len() + 1;
                    recording.items.clear();
                }
                drop(recording);
                self.position += 1;
                Poll::Ready(Some(item))
            }
        }
    }
}
