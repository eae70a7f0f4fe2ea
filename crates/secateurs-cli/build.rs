fn main() {
    secateurs_build::link_libtorch();
}
