//! Lambda: PMS webhooks (POST /webhooks/pms/{pms}/{property_id}) and CSV imports. API Gateway HTTP API (payload v2) -> the Relais HTTP router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relais_lambda::init_tracing();
    let lambda = relais_lambda::LambdaApp::from_env().await?;
    lambda_http::run(relais_lambda::http_router(&lambda)).await
}
