//! Lambda: the scheduled sweep.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    relais_lambda::init_tracing();
    let lambda = relais_lambda::LambdaApp::from_env().await?;
    let app = &lambda.app;
    lambda_runtime::run(lambda_runtime::service_fn(|event| relais_lambda::sweep(app, event))).await
}
