//! Property tests of the client's wire path reading response frames (tonic's codec behind
//! `client::intercept`, with an interceptor that reads every message): a raw HTTP/2 peer
//! answers with gRPC frames cut into DATA frames at arbitrary places, or with arbitrary
//! bytes, and the application must see what a plain tonic client sees, without a panic, a
//! hang, or an allocation the size of a length prefix past the decoding limit.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::client::intercept;
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::DummyResponse;
use grpc_interceptor_tests::{Client, Log, Outcome, Streamed, entries, log, server_stream, unary};
use proptest::prelude::*;
use prost::Message;
use tokio::net::TcpListener;
use tonic::codegen::Bytes;
use tonic::transport::Channel;

mod peak {
    //! A global allocator that remembers, per thread, the largest single allocation.

    use std::alloc::{GlobalAlloc, Layout, System};

    use super::Cell;

    thread_local! {
        static LARGEST: Cell<usize> = const { Cell::new(0) };
    }

    fn note(size: usize) {
        // A const thread-local without a destructor: reading it never allocates.
        let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
    }

    /// `System`, noting sizes.
    pub(crate) struct Largest;

    // SAFETY (of the whole impl): every method forwards to `System` with the caller's
    // arguments, unchanged, and only notes the size on the side.
    #[allow(unsafe_code, reason = "a global allocator is an unsafe trait")]
    unsafe impl GlobalAlloc for Largest {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// The largest allocation on this thread since the last call.
    pub(crate) fn take() -> usize {
        LARGEST.with(|largest| largest.replace(0))
    }
}

#[global_allocator]
static ALLOCATOR: peak::Largest = peak::Largest;

/// The decoding limit of every client here.
const LIMIT: usize = 16 * 1024;
/// The largest single allocation a call with an answer of a few KiB may make: tonic's buffer
/// grown to hold a message of the limit's size, which doubles its capacity (32,776 bytes
/// measured for a message of 16,380 bytes), and a little more. A length prefix past it must
/// be refused, not allocated. (Answers of many messages legitimately need more: buffers
/// hold what has arrived.)
const ALLOCATION_BOUND: usize = 2 * LIMIT + 1024;

mod peer {
    //! A raw HTTP/2 peer that answers every call with the same DATA frames, then
    //! `grpc-status: 0`.

    use super::*;
    use h2::RecvStream;
    use h2::server::SendResponse;

    /// The DATA frames of the answer.
    pub(crate) type Answer = Arc<Mutex<Vec<Bytes>>>;

    pub(crate) async fn serve(answer: Answer) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(connection(socket, Arc::clone(&answer)));
            }
        });
        addr
    }

    async fn connection(socket: tokio::net::TcpStream, answer: Answer) -> Result<(), h2::Error> {
        let mut connection = h2::server::handshake(socket).await?;
        while let Some(accepted) = connection.accept().await {
            let (request, respond) = accepted?;
            let frames = answer.lock().expect("the answer").clone();
            tokio::spawn(respond_with(request, respond, frames));
        }
        Ok(())
    }

    async fn respond_with(
        request: http::Request<RecvStream>,
        mut respond: SendResponse<Bytes>,
        frames: Vec<Bytes>,
    ) -> Result<(), h2::Error> {
        let mut body = request.into_body();
        while let Some(data) = body.data().await {
            let _ = body.flow_control().release_capacity(data?.len());
        }
        let head = http::Response::builder()
            .status(200)
            .header("content-type", "application/grpc")
            .body(())
            .expect("a response head");
        let mut send = respond.send_response(head, false)?;
        for frame in frames {
            send.send_data(frame, false)?;
        }
        let mut trailers = http::HeaderMap::new();
        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
        send.send_trailers(trailers)
    }
}

/// Reads every response message, as `DummyResponse`: the wire path splits and decodes them.
#[derive(Clone, Default)]
struct Reader(Log<String>);

impl CallInterceptor for Reader {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        response.inspect_messages(move |m: &DummyResponse| {
            log.lock()
                .map_err(|_| Status::internal("log poisoned"))?
                .push(m.output.clone());
            Ok(())
        })?;
        Ok(response)
    }
}

/// What the application saw: the messages, and the code the call ended with.
type Seen = (Vec<String>, Code);

fn seen_stream(outcome: Outcome<Streamed>) -> Seen {
    match outcome {
        Ok((messages, None)) => (messages, Code::Ok),
        Ok((messages, Some((code, _)))) => (messages, code),
        Err((code, _)) => (Vec::new(), code),
    }
}

fn seen_unary(outcome: Outcome<String>) -> Seen {
    match outcome {
        Ok(message) => (vec![message], Code::Ok),
        Err((code, _)) => (Vec::new(), code),
    }
}

/// A call, or the failure of the test if it hangs.
async fn within<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the call ended")
}

/// One runtime on this thread and the peer: every allocation of a call is made on this
/// thread.
struct Harness {
    runtime: tokio::runtime::Runtime,
    answer: peer::Answer,
    addr: SocketAddr,
}

/// What one answer gave: plain tonic's view, the intercepted app's, what the interceptor
/// read, and the largest allocation of the intercepted call.
struct Views {
    plain: Seen,
    intercepted: Seen,
    read: Vec<String>,
    largest_allocation: usize,
}

impl Harness {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let answer = peer::Answer::default();
        let addr = runtime.block_on(peer::serve(Arc::clone(&answer)));
        Self {
            runtime,
            answer,
            addr,
        }
    }

    /// A connection of its own for each call: h2 keeps, per connection, a budget of small
    /// and empty DATA frames (a defence against floods), which many cut answers in a row
    /// would use up.
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("a valid URI")
            .connect()
            .await
            .expect("a connection")
    }

    /// Calls with the peer answering `frames`, in a unary call or a server-streaming one.
    fn call(&self, frames: Vec<Bytes>, unary_call: bool) -> Views {
        *self.answer.lock().expect("the answer") = frames;
        self.runtime.block_on(async {
            let mut plain = Client::new(self.channel().await).max_decoding_message_size(LIMIT);
            let reader = Reader(log());
            let mut intercepted = Client::new(
                intercept(self.channel().await, (reader.clone(),)).max_decoding_message_size(LIMIT),
            )
            .max_decoding_message_size(LIMIT);
            let (plain, intercepted, largest_allocation) = if unary_call {
                let plain = seen_unary(within(unary(&mut plain, "x")).await);
                peak::take();
                let intercepted = seen_unary(within(unary(&mut intercepted, "x")).await);
                (plain, intercepted, peak::take())
            } else {
                let plain = seen_stream(within(server_stream(&mut plain, "x")).await);
                peak::take();
                let intercepted = seen_stream(within(server_stream(&mut intercepted, "x")).await);
                (plain, intercepted, peak::take())
            };
            Views {
                plain,
                intercepted,
                read: entries(&reader.0),
                largest_allocation,
            }
        })
    }
}

/// One gRPC frame of `payload`.
fn frame(compressed: bool, declared: u32, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![u8::from(compressed)];
    frame.extend(declared.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

fn message_frame(output: &str) -> Vec<u8> {
    let message = DummyResponse {
        output: output.to_owned(),
    }
    .encode_to_vec();
    frame(
        false,
        u32::try_from(message.len()).expect("small"),
        &message,
    )
}

/// `bytes` cut at `cuts` (positions in any order, taken modulo the length), without empty
/// pieces (h2 does not pass empty DATA frames on).
fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        if cut > start {
            pieces.push(Bytes::copy_from_slice(&bytes[start..cut]));
        }
        start = cut;
    }
    pieces
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..12)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn valid_frames_cut_anywhere_give_the_same_messages() {
    let harness = Harness::new();
    let outputs = prop::collection::vec(
        prop_oneof![
            4 => any::<String>(),
            // Up to the limit, with their protobuf tag and length.
            1 => "x{0,16000}",
        ],
        0..6,
    );
    proptest!(config(), |(outputs in outputs, cuts in cuts(), unary_call in any::<bool>())| {
        // A unary answer has exactly one message.
        let outputs = if unary_call { outputs.into_iter().take(1).collect() } else { outputs };
        prop_assume!(!unary_call || outputs.len() == 1);
        let body: Vec<u8> = outputs.iter().flat_map(|o| message_frame(o)).collect();
        let views = harness.call(chunks(&body, &cuts), unary_call);
        prop_assert_eq!(&views.intercepted, &(outputs.clone(), Code::Ok));
        prop_assert_eq!(&views.read, &outputs);
        prop_assert_eq!(&views.plain, &views.intercepted);
    });
}

/// A body: frames with any flags and length prefixes, valid ones, and bytes of any kind.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        // A message.
        2 => any::<String>().prop_map(|o| message_frame(&o)),
        // A frame with any flag, any length prefix, any payload.
        2 => (any::<bool>(), any::<u32>(), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(compressed, declared, payload)| frame(compressed, declared, &payload)),
        // A length prefix that matches its payload, which may not decode.
        1 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|payload| frame(false, u32::try_from(payload.len()).expect("small"), &payload)),
        // Bytes.
        1 => prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(piece, 0..5).prop_map(|pieces| pieces.concat())
}

#[test]
fn any_bytes_end_the_call_as_plain_tonic_does_within_the_limit() {
    let harness = Harness::new();
    proptest!(config(), |(body in body(), cuts in cuts())| {
        let views = harness.call(chunks(&body, &cuts), false);
        prop_assert_eq!(&views.intercepted, &views.plain);
        prop_assert!(
            views.largest_allocation <= ALLOCATION_BOUND,
            "an allocation of {} bytes", views.largest_allocation
        );
    });
}

#[test]
fn a_length_prefix_past_the_limit_ends_the_call_before_it_is_allocated() {
    let harness = Harness::new();
    let before = prop::collection::vec("[a-z]{0,8}", 0..3);
    let declared = (ALLOCATION_BOUND as u32 + 1)..=u32::MAX;
    let after = prop::collection::vec(any::<u8>(), 0..2048);
    proptest!(config(), |(before in before, declared in declared, after in after, cuts in cuts())| {
        let mut body: Vec<u8> = before.iter().flat_map(|o| message_frame(o)).collect();
        body.extend(frame(false, declared, &after));
        let views = harness.call(chunks(&body, &cuts), false);
        prop_assert_eq!(&views.intercepted, &(before.clone(), Code::OutOfRange));
        prop_assert_eq!(&views.plain, &views.intercepted);
        prop_assert!(
            views.largest_allocation <= ALLOCATION_BOUND,
            "an allocation of {} bytes for a prefix of {declared}", views.largest_allocation
        );
    });
}

#[test]
fn the_allocations_of_a_call_are_seen() {
    // Without this, the bound above could hold because the allocations were made elsewhere.
    let harness = Harness::new();
    let output = "x".repeat(LIMIT - 100);
    let views = harness.call(chunks(&message_frame(&output), &[7, 3000]), false);
    assert_eq!(views.intercepted, (vec![output], Code::Ok));
    assert!(
        (LIMIT - 100..=ALLOCATION_BOUND).contains(&views.largest_allocation),
        "{}",
        views.largest_allocation
    );
}
