// mimalloc: kiln allocates many small values (parsed YAML, JSON, strings) on every
// thread; glibc's allocator spent a fifth of a large build in malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kiln::cli::main()
}
