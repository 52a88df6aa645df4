use std::process::ExitCode;

fn main() -> ExitCode {
    ocr_server::main()
}
