import { render } from "preact";
import { App } from "./app";
import { finishHostedLogin } from "./auth";
import { loadConfig } from "./config";
import { lang, t } from "./i18n";
import "./styles.css";

async function start() {
  document.documentElement.lang = lang();
  await loadConfig();
  const failed = await finishHostedLogin().catch((e) => String(e));
  render(<App initialError={failed ? t("signin.hosted_failed", { error: failed }) : ""} />, document.getElementById("app")!);
}

start();
