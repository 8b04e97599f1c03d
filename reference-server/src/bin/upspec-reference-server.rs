//! The standalone reference server: `upspec-reference-server [FLAGS]`.
//! Prints the endpoint URL once listening, stops on Ctrl-C or SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use upspec_reference_server::cli::ServeArgs;

#[derive(Parser)]
#[command(
    version,
    about = "Reference tus 1.0.0 server (every extension) and S3 server for upspec"
)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    let config = match Cli::parse().serve.into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("upspec-reference-server: {e}");
            return ExitCode::from(2);
        }
    };
    let warning = upspec_reference_server::cli::faults_warning(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("upspec-reference-server: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let server = match upspec_reference_server::serve(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("upspec-reference-server: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Some(warning) = &warning {
            eprintln!("upspec-reference-server: {warning}");
        }
        // A closed stdout is no reason to stop serving, so write errors are
        // ignored.
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(upspec_reference_server::cli::banner(&server).as_bytes());
            let _ = out.flush();
        }
        wait_for_stop().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_stop() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
