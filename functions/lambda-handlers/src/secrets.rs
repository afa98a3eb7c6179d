//! Secret settings in AWS (README, Deploying to AWS): the function environment holds
//! `ssm:<parameter name>` for each secret the function reads; the value is read once per
//! container from SSM Parameter Store (SecureString, decrypted). A parameter that does not exist
//! leaves the setting unset (that provider is not configured); any other failure (AccessDenied,
//! throttling) fails init with the AWS error, never as "not configured". Values are never logged.

use std::collections::HashMap;

use aws_sdk_ssm::error::DisplayErrorContext;

use crate::InitError;

/// The settings that hold secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    WhatsAppToken,
    WhatsAppAppSecret,
    WhatsAppVerifyToken,
    TwilioAuthToken,
}

impl Secret {
    pub const ALL: [Secret; 4] =
        [Secret::WhatsAppToken, Secret::WhatsAppAppSecret, Secret::WhatsAppVerifyToken, Secret::TwilioAuthToken];

    /// The environment variable that holds it (or its `ssm:` reference).
    pub fn setting(self) -> &'static str {
        match self {
            Secret::WhatsAppToken => "RELAIS_WHATSAPP_TOKEN",
            Secret::WhatsAppAppSecret => "RELAIS_WHATSAPP_APP_SECRET",
            Secret::WhatsAppVerifyToken => "RELAIS_WHATSAPP_VERIFY_TOKEN",
            Secret::TwilioAuthToken => "RELAIS_TWILIO_AUTH_TOKEN",
        }
    }
}

/// The SSM parameter a setting refers to, if it does.
pub fn parameter_name(value: &str) -> Option<&str> {
    value.strip_prefix("ssm:").map(str::trim).filter(|name| !name.is_empty())
}

/// Resolve the listed secrets whose setting is an `ssm:` reference; the SSM client is built only
/// when one is.
pub async fn resolve(
    sdk_config: &aws_config::SdkConfig,
    secrets: &[Secret],
) -> Result<HashMap<&'static str, String>, InitError> {
    let mut resolved = HashMap::new();
    let mut client: Option<aws_sdk_ssm::Client> = None;
    for secret in secrets {
        let name = secret.setting();
        let Ok(value) = std::env::var(name) else { continue };
        let Some(parameter) = parameter_name(&value) else { continue };
        let ssm = client.get_or_insert_with(|| aws_sdk_ssm::Client::new(sdk_config));
        match ssm.get_parameter().name(parameter).with_decryption(true).send().await {
            Ok(out) => {
                if let Some(secret) = out.parameter().and_then(|p| p.value()) {
                    resolved.insert(name, secret.to_string());
                }
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_parameter_not_found()) => {
                tracing::warn!(setting = name, parameter, "secret parameter not found; setting left unset");
            }
            Err(e) => {
                return Err(InitError::Secret {
                    setting: name,
                    parameter: parameter.to_string(),
                    error: DisplayErrorContext(&e).to_string(),
                });
            }
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameter_names() {
        assert_eq!(super::parameter_name("ssm:/relais/whatsapp-token"), Some("/relais/whatsapp-token"));
        assert_eq!(super::parameter_name("EAAG..."), None);
        assert_eq!(super::parameter_name("ssm:"), None);
    }
}
