//! `upspec serve`: the reference server, for pointing real clients (or upspec
//! itself, from another shell) at a known-good implementation.

use upspec_reference_server::cli::ServeArgs;

use super::Exit;

pub fn serve(args: ServeArgs) -> Exit {
    let config = match args.into_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Invalid;
        }
    };
    let warning = upspec_reference_server::cli::faults_warning(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return Exit::Unreachable;
        }
    };
    runtime.block_on(async {
        let server = match upspec_reference_server::serve(config).await {
            Ok(server) => server,
            Err(error) => {
                eprintln!("error: cannot start the reference server: {error}");
                return Exit::Unreachable;
            }
        };
        print!("{}", upspec_reference_server::cli::banner(&server));
        if let Some(warning) = &warning {
            eprintln!("{warning}");
        }
        println!("press Ctrl-C to stop");
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("error: cannot wait for Ctrl-C: {error}");
        }
        server.shutdown().await;
        Exit::Success
    })
}
