//! With the `testing` feature, compiles `proto/dummy.proto` (no system `protoc` needed).

fn main() {
    #[cfg(feature = "testing")]
    {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
        println!("cargo:rerun-if-changed={}", dir.display());
        let fds = match protox::compile(["dummy.proto"], [&dir]) {
            Ok(fds) => fds,
            Err(err) => panic!("cannot compile {}/dummy.proto: {err}", dir.display()),
        };
        if let Err(err) = tonic_prost_build::configure()
            .type_attribute(".", "#[allow(clippy::all)]")
            .compile_fds(fds)
        {
            panic!("cannot generate code for dummy.proto: {err}");
        }
    }
}
