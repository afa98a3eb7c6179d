//! Lambda: the dispatch job consumer (SQS).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    relais_lambda::init_tracing();
    let app = relais_lambda::roots::dispatcher().await?;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(|event| relais_lambda::dispatcher(app, event))).await
}
