//! `dummy_client`: a real server on 127.0.0.1 and a client connected to it.

use std::error::Error;
use std::ops::{Deref, DerefMut};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::{Channel, Server};

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
    channel: Channel,
    _shutdown: oneshot::Sender<()>,
}

impl<I> DummyClient<I> {
    /// The channel to the server, for calls the generated client cannot make (the
    /// reference's `dummy_channel`): an unregistered method, raw bytes.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
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
    Ok(DummyClient {
        client: DummyServiceClient::new(intercept(channel.clone(), client_interceptors)),
        channel,
        _shutdown: shutdown,
    })
}
