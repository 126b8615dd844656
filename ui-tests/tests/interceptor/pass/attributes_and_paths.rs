//! What the user writes around an interceptor is kept: docs, `cfg`, visibility, lint
//! attributes, patterns and fully qualified paths to the runtime's types.

use grpc_interceptor::CallInterceptor;

mod interceptors {
    /// Documented, public and qualified.
    #[grpc_interceptor::interceptor]
    #[allow(clippy::needless_pass_by_value)]
    pub fn qualified(
        method: grpc_interceptor::Next<'_>,
        request: grpc_interceptor::Request,
        context: &mut grpc_interceptor::Context<'_>,
        _: &grpc_interceptor::MethodName,
    ) -> grpc_interceptor::Reply {
        method.call(request, context)
    }

    /// Never compiled: `cfg` goes on the struct and on its impl.
    #[cfg(any())]
    #[grpc_interceptor::interceptor]
    pub fn compiled_out(
        method: grpc_interceptor::Next<'_>,
        request: grpc_interceptor::Request,
        context: &mut grpc_interceptor::Context,
        _: &grpc_interceptor::MethodName,
    ) -> grpc_interceptor::Reply {
        method.call(request, context)
    }
}

/// The name of an interceptor fn is an interceptor in expressions, and a type that is one.
fn assert_interceptor<T: CallInterceptor + Copy + Default + std::fmt::Debug>(
    _: impl CallInterceptor + Copy,
) {
}

fn main() {
    use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

    /// Declared inside a function body.
    #[interceptor]
    fn local(
        method: Next<'_>,
        mut request: Request,
        context: &mut Context,
        _name: &MethodName,
    ) -> Reply {
        request
            .metadata_mut()
            .insert("x-local", "1".parse().unwrap_or_else(|_| unreachable!()));
        method.call(request, context)
    }

    assert_interceptor::<interceptors::qualified>(interceptors::qualified);
    assert_interceptor::<local>(local);
}
