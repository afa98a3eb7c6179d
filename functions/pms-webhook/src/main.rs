//! Lambda: PMS webhooks and CSV imports (API Gateway HTTP API).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relais_lambda::init_tracing();
    let lambda = relais_lambda::roots::pms_webhook().await?;
    lambda_http::run(relais_lambda::pms_webhook_router(&lambda)).await
}
