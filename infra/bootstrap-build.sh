# Sourced (not run) by every script that builds release Lambda bootstraps, so that they are all
# built one way: as position-dependent executables (`-C relocation-model=static`).
#
# Why: a position-independent bootstrap carries ~50,000 relative relocations (1.2-1.5 MB of
# `.rela.dyn`) that the dynamic loader applies at every cold start, writing ~1.4 MB of pages
# before `main` runs. Without them the stripped bootstraps are 1.2-1.5 MB smaller and start
# 1.6-2 ms sooner (docs/performance.md, "Lambda start-up"). The cost: the executable itself is
# always mapped at the same address (the heap, the stack and the shared libraries are still
# randomised); a Lambda sandbox runs one function in its own microVM.
#
# The flag must reach only the bootstraps, never the build scripts and proc macros cargo builds
# for the host (a proc macro cannot be position-dependent). Cargo applies
# CARGO_TARGET_<TRIPLE>_RUSTFLAGS to host artifacts too unless `--target` is given, so:
#   - `cargo lambda build` (infra/build-functions.sh, `sam build`) always passes `--target`:
#     export the variables with `bootstrap_rustflags`;
#   - a host build uses `bootstrap_cargo_build ARGS...`, which adds `--target <host triple>`
#     and sets the variable for that one command; the binaries land in
#     "$(bootstrap_dir "$TARGET")".

BOOTSTRAP_RUSTFLAGS="-C relocation-model=static"

bootstrap_rustflags() {
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$BOOTSTRAP_RUSTFLAGS"
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="$BOOTSTRAP_RUSTFLAGS"
}

bootstrap_host_triple() {
  rustc -vV | sed -n 's/^host: //p'
}

# cargo build --release for the host, bootstraps position-dependent.
bootstrap_cargo_build() {
  local triple var
  triple="$(bootstrap_host_triple)"
  var="CARGO_TARGET_$(echo "$triple" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
  env "$var=$BOOTSTRAP_RUSTFLAGS" cargo build --release --target "$triple" "$@"
}

# Where bootstrap_cargo_build puts the binaries, given the cargo target dir.
bootstrap_dir() {
  echo "$1/$(bootstrap_host_triple)/release"
}
