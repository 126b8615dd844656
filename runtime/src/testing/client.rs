//! `dummy_client`: a real server on 127.0.0.1 and a client connected to it.

use std::error::Error;
use std::ops::{Deref, DerefMut};

use bytes::{Buf, Bytes};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Server};
use tonic::{Response, Status};

use super::proto::dummy_service_client::DummyServiceClient;
use super::{DummyService, SpecialCases};
use crate::CallInterceptor;
use crate::client::{Intercepted, intercept};

/// A client of a [`DummyService`] served on 127.0.0.1, behind client interceptors `I`;
/// dropping it stops the server.
///
/// Dereferences to the tonic-generated `DummyServiceClient`.
#[derive(Debug)]
pub struct DummyClient<I = ()> {
    client: DummyServiceClient<Intercepted<Channel, I>>,
    intercepted: Intercepted<Channel, I>,
    channel: Channel,
    _shutdown: oneshot::Sender<()>,
}

impl<I> DummyClient<I> {
    /// The channel to the server, without the client interceptors, for calls the generated
    /// client cannot make (the reference's `dummy_channel`). [`call_raw`](Self::call_raw)
    /// makes the usual ones.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }
}

impl<I: CallInterceptor + 'static> DummyClient<I> {
    /// Calls the method at `path` (`/Service/Method`), registered or not, with one message of
    /// any type, through the client interceptors, and returns the response message as it
    /// came, encoded (decode it with `prost::Message::decode`). A unary call: what a test of
    /// an unregistered method needs, without tonic's client internals.
    ///
    /// ```
    /// use grpc_interceptor::testing::{dummy_client, DummyRequest, DummyResponse, SpecialCases};
    /// use grpc_interceptor::Code;
    /// use prost::Message;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let client = dummy_client(SpecialCases::new(), ()).await?;
    /// let request = DummyRequest { input: "x".into() };
    /// let status = client.call_raw("/DummyService/Nothing", request.clone()).await.unwrap_err();
    /// assert_eq!(status.code(), Code::Unimplemented);
    ///
    /// let echo = client.call_raw("/DummyService/Execute", request).await?.into_inner();
    /// assert_eq!(DummyResponse::decode(echo)?.output, "x");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The call's error status; INVALID_ARGUMENT, with nothing sent, when `path` is not an
    /// HTTP/2 path (`/Dummy Service/Execute` has a space in it).
    pub async fn call_raw<M>(&self, path: &str, message: M) -> Result<Response<Bytes>, Status>
    where
        M: prost::Message + Send + 'static,
    {
        self.call_raw_request(path, tonic::Request::new(message))
            .await
    }

    /// [`call_raw`](Self::call_raw) with a `tonic::Request`, for metadata or a timeout.
    ///
    /// # Errors
    ///
    /// As [`call_raw`](Self::call_raw).
    pub async fn call_raw_request<M>(
        &self,
        path: &str,
        request: tonic::Request<M>,
    ) -> Result<Response<Bytes>, Status>
    where
        M: prost::Message + Send + 'static,
    {
        let path = PathAndQuery::try_from(path).map_err(|err| {
            Status::invalid_argument(format!("`{path}` is not a request path: {err}"))
        })?;
        let mut grpc = tonic::client::Grpc::new(self.intercepted.clone());
        grpc.ready()
            .await
            .map_err(|err| Status::unavailable(format!("the channel is not ready: {err}")))?;
        grpc.unary(request, path, RawCodec::default()).await
    }
}

/// Encodes any prost message; decodes nothing, handing on the encoded response message.
struct RawCodec<M>(std::marker::PhantomData<fn(M)>);

impl<M> Default for RawCodec<M> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<M: prost::Message + Send + 'static> Codec for RawCodec<M> {
    type Encode = M;
    type Decode = Bytes;
    type Encoder = RawCodec<M>;
    type Decoder = RawCodec<M>;

    fn encoder(&mut self) -> Self::Encoder {
        Self::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        Self::default()
    }
}

impl<M: prost::Message> Encoder for RawCodec<M> {
    type Item = M;
    type Error = Status;

    fn encode(&mut self, item: M, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|err| Status::internal(format!("encoding the request: {err}")))
    }
}

impl<M> Decoder for RawCodec<M> {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl<I> Deref for DummyClient<I> {
    type Target = DummyServiceClient<Intercepted<Channel, I>>;

    fn deref(&self) -> &Self::Target {
        &self.client
    }
}

impl<I> DerefMut for DummyClient<I> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.client
    }
}

/// Serves a [`DummyService`] with `special_cases` behind `interceptors` (a tuple, outermost
/// first; `()` for none) on 127.0.0.1 and an ephemeral port, with
/// [`TrailersLayer`](crate::server::TrailersLayer), and returns a client connected
/// to it over HTTP/2. The server stops when the client is dropped.
pub async fn dummy_client<I>(
    special_cases: SpecialCases,
    interceptors: I,
) -> Result<DummyClient, Box<dyn Error + Send + Sync>>
where
    I: CallInterceptor + 'static,
{
    dummy_client_with(special_cases, interceptors, ()).await
}

/// [`dummy_client`] with `client_interceptors` (a tuple, outermost first) on the client's
/// channel as well.
pub async fn dummy_client_with<I, C>(
    special_cases: SpecialCases,
    interceptors: I,
    client_interceptors: C,
) -> Result<DummyClient<C>, Box<dyn Error + Send + Sync>>
where
    I: CallInterceptor + 'static,
    C: CallInterceptor + 'static,
{
    let service = DummyService::new(special_cases, interceptors);
    dummy_client_for(service, client_interceptors).await
}

/// Serves `service` (a [`DummyService`] built by hand, to choose its
/// [`Reading`](super::Reading), say) as [`dummy_client`] does, with `client_interceptors` (a
/// tuple, outermost first; `()` for none) on the client's channel.
pub async fn dummy_client_for<I, C>(
    service: DummyService<I>,
    client_interceptors: C,
) -> Result<DummyClient<C>, Box<dyn Error + Send + Sync>>
where
    I: CallInterceptor + 'static,
    C: CallInterceptor + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let service = service.into_server();
    tokio::spawn(
        Server::builder()
            .layer(crate::server::TrailersLayer)
            .add_service(service)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async {
                    let _ = stopped.await;
                },
            ),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let intercepted = intercept(channel.clone(), client_interceptors);
    Ok(DummyClient {
        client: DummyServiceClient::new(intercepted.clone()),
        intercepted,
        channel,
        _shutdown: shutdown,
    })
}
