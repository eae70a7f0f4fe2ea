//! Links libtorch (CUDA part included) with an rpath, and records the git commit;
//! see secateurs-build.

fn main() {
    secateurs_build::link_libtorch();
    secateurs_build::record_git_commit();
}
