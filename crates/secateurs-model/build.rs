//! Links libtorch (CUDA part included) with an rpath; see secateurs-build.

fn main() {
    secateurs_build::link_libtorch();
}
