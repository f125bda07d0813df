//! Verifies and parses a captured webhook delivery offline and prints the unified events.
//!
//! ```sh
//! cargo run -q --example inspect_webhook -- --channel webhook \
//!     --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
//!     --header 'webhook-id: msg_2Xk1' --header 'webhook-timestamp: 1732000000' \
//!     --header 'webhook-signature: v1,...' \
//!     --now 1732000000 --body delivery.json
//! ```
//!
//! It prints one JSON object per event on stdout (the serde form of `unibox::InboundEvent`),
//! so the output pipes into `jq`. Exit codes (the last two from BSD `sysexits.h`):
//!
//! | code | meaning | stdout |
//! |---|---|---|
//! | 0 | verified and parsed | one JSON object per event |
//! | 2 | verification failed (signature, timestamp, missing header) | nothing |
//! | 3 | verified, but the payload could not be parsed | nothing |
//! | 64 | usage error (`EX_USAGE`): unknown flag, missing value, bad secret, a channel kind not built in | nothing |
//! | 66 | the body file cannot be read (`EX_NOINPUT`) | nothing |
//!
//! Errors and the usage go to stderr. `--now UNIX_SECONDS` verifies as of that time instead of
//! the system clock: a captured Standard Webhooks delivery is older than the 5-minute
//! tolerance, so pass its `webhook-timestamp`. Secrets are never printed.
//!
//! The example belongs to the workspace crate `unibox-tools`, which depends on every channel, so
//! every kind of this workspace is built in with no feature flags: `webhook`; `messenger`,
//! `instagram` and `whatsapp` (`--secret` is the Meta app secret,
//! `--header 'X-Hub-Signature-256: sha256=...'`); `line` (`--secret` is the channel secret,
//! `--header 'X-Line-Signature: ...'`); `telegram` (`--secret` is the secret token, `--bot-token`
//! the bot token); `twilio` (`--secret` is the Auth Token, `--url` the exact URL Twilio called);
//! `shopee` (`--secret` is the partner key, `--url` the registered callback URL); `lazada` and
//! `tiktok-shop` (`--secret` is the app secret, `--app-key` the app key).
//! Adding an adapter is one small arm in [`channel_for`] and a dependency of `unibox-tools`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::sync::Arc;

use unibox_channel_webhook::WebhookChannel;
use unibox_core::channel::WebhookRequest;
use unibox_core::secrecy::{ExposeSecret, SecretString};
use unibox_core::{Channel, ChannelKind, Clock, ManualClock, SystemClock, Timestamp};

const USAGE: &str = "\
usage: inspect_webhook --channel KIND --secret SECRET [--app-key KEY] [--bot-token TOKEN]
                       [--url PUBLIC_URL] [--header 'Name: value']... [--now UNIX_SECONDS]
                       --body FILE

Verifies a captured webhook delivery and prints its events as JSON, one per line.

  --channel KIND        messenger, instagram, whatsapp, line, telegram, twilio, shopee,
                        lazada, tiktok-shop or webhook
  --secret SECRET       the channel's signing secret (webhook: whsec_...; telegram: the
                        secret token; twilio: the Auth Token; shopee: the partner key;
                        lazada, tiktok-shop: the app secret)
  --app-key KEY         the app key (lazada, tiktok-shop)
  --bot-token TOKEN     the bot token (telegram: its id part names the account)
  --url PUBLIC_URL      the public URL the platform called, exactly as configured there
                        (twilio, shopee; default https://unibox.invalid/webhook)
  --header 'Name: value'  a request header as received; repeat for each
  --now UNIX_SECONDS    verify as of this time instead of now (for captured deliveries)
  --body FILE           the exact request body; - reads standard input
  -h, --help            this help

exit codes: 0 ok, 2 verification failed, 3 malformed payload, 64 usage error, 66 unreadable body";

const DEFAULT_URL: &str = "https://unibox.invalid/webhook";

/// Process exit codes.
mod exit {
    pub(crate) const OK: i32 = 0;
    pub(crate) const VERIFICATION_FAILED: i32 = 2;
    pub(crate) const MALFORMED_PAYLOAD: i32 = 3;
    pub(crate) const USAGE: i32 = 64;
    pub(crate) const NO_INPUT: i32 = 66;
    pub(crate) const IO_ERROR: i32 = 74;
}

/// The command line, parsed.
struct Options {
    channel: ChannelKind,
    secret: SecretString,
    app_key: Option<SecretString>,
    bot_token: Option<SecretString>,
    url: String,
    headers: Vec<(String, String)>,
    now: Option<i64>,
    body: String,
}

/// Why the program stops early: an exit code and a message for stderr.
struct Failure {
    code: i32,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure { code: exit::USAGE, message: format!("{}\n\n{USAGE}", message.into()) }
    }
}

enum Parsed {
    Run(Options),
    Help,
}

/// Parses `--flag value` and `--flag=value` arguments.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, Failure> {
    let mut args = args.into_iter();
    let mut channel = None;
    let mut secret = None;
    let mut app_key = None;
    let mut bot_token = None;
    let mut url = None;
    let mut headers = Vec::new();
    let mut now = None;
    let mut body = None;

    while let Some(arg) = args.next() {
        let arg = arg.into_string().map_err(|_| Failure::usage("arguments must be valid UTF-8"))?;
        if arg == "-h" || arg == "--help" {
            return Ok(Parsed::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (arg, None),
        };
        let mut value = || -> Result<String, Failure> {
            match inline.clone() {
                Some(value) => Ok(value),
                None => args
                    .next()
                    .ok_or_else(|| Failure::usage(format!("{flag} needs a value")))?
                    .into_string()
                    .map_err(|_| Failure::usage(format!("the value of {flag} must be valid UTF-8"))),
            }
        };
        match flag.as_str() {
            "--channel" => set_once(&mut channel, "--channel", value()?)?,
            "--secret" => set_once(&mut secret, "--secret", value()?)?,
            "--app-key" => set_once(&mut app_key, "--app-key", value()?)?,
            "--bot-token" => set_once(&mut bot_token, "--bot-token", value()?)?,
            "--url" => set_once(&mut url, "--url", value()?)?,
            "--body" => set_once(&mut body, "--body", value()?)?,
            "--now" => {
                let text = value()?;
                let seconds = text
                    .parse::<i64>()
                    .map_err(|_| Failure::usage(format!("--now takes Unix seconds, not {text:?}")))?;
                set_once(&mut now, "--now", seconds)?;
            }
            "--header" => {
                let text = value()?;
                let Some((name, value)) = text.split_once(':') else {
                    return Err(Failure::usage(format!("--header takes 'Name: value', not {text:?}")));
                };
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            other => return Err(Failure::usage(format!("unknown argument {other:?}"))),
        }
    }

    let channel = channel.ok_or_else(|| Failure::usage("--channel is required"))?;
    let channel = channel.parse::<ChannelKind>().map_err(|error| Failure::usage(error.message().to_owned()))?;
    Ok(Parsed::Run(Options {
        channel,
        secret: SecretString::from(secret.ok_or_else(|| Failure::usage("--secret is required"))?),
        app_key: app_key.map(SecretString::from),
        bot_token: bot_token.map(SecretString::from),
        url: url.unwrap_or_else(|| DEFAULT_URL.to_owned()),
        headers,
        now,
        body: body.ok_or_else(|| Failure::usage("--body is required"))?,
    }))
}

fn set_once<T>(slot: &mut Option<T>, flag: &str, value: T) -> Result<(), Failure> {
    if slot.replace(value).is_some() {
        return Err(Failure::usage(format!("{flag} is given more than once")));
    }
    Ok(())
}

/// The channel for `--channel`. Each adapter is one arm here: build it from `--secret` with
/// `clock` (only deliveries are inspected, never a handshake, so no verify token is needed).
fn channel_for(options: &Options, clock: Arc<dyn Clock>) -> Result<Box<dyn Channel>, Failure> {
    let configuration_error = |error: unibox_core::Error| Failure::usage(format!("--secret: {}", error.message()));
    match options.channel.as_str() {
        "webhook" => {
            let channel =
                WebhookChannel::builder().secret(options.secret.clone()).map_err(configuration_error)?.clock(clock);
            Ok(Box::new(channel.build().map_err(configuration_error)?))
        }
        "whatsapp" => {
            // --secret is the Meta app secret. Only deliveries are inspected, never the GET
            // handshake, so the verify token is not needed.
            let config = unibox_channel_whatsapp::WhatsAppConfig::builder()
                .app_secret(options.secret.clone())
                .verify_token("not-used-by-inspect_webhook")
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(unibox_channel_whatsapp::WhatsAppChannel::new(config).with_clock(clock)))
        }
        "messenger" => {
            // --secret is the Meta app secret. Only deliveries are inspected, never the GET
            // handshake, so the verify token is not needed.
            let channel = unibox_channel_messenger::builder()
                .app_secret(unibox_channel_messenger::AppSecret::from(options.secret.clone()))
                .verify_token("not-used-by-inspect_webhook")
                .clock(clock)
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(channel))
        }
        "instagram" => {
            // --secret is the app secret that signs the account's webhooks (the Instagram app
            // secret for Instagram Login apps).
            let channel = unibox_channel_instagram::builder()
                .app_secret(unibox_channel_instagram::AppSecret::from(options.secret.clone()))
                .verify_token("not-used-by-inspect_webhook")
                .clock(clock)
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(channel))
        }
        "line" => {
            // --secret is the LINE channel secret.
            let config = unibox_channel_line::LineConfig::builder()
                .channel_secret(options.secret.clone())
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(unibox_channel_line::LineChannel::new(config).with_clock(clock)))
        }
        "telegram" => {
            // --secret is the secret token set with setWebhook; the bot token's id part is the
            // account every event names.
            let bot_token = options.bot_token.clone().ok_or_else(|| Failure::usage("telegram needs --bot-token"))?;
            let config = unibox_channel_telegram::TelegramConfig::builder()
                .bot_token(bot_token)
                .secret_token(options.secret.clone())
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(unibox_channel_telegram::TelegramChannel::new(config).with_clock(clock)))
        }
        "twilio" => {
            // --secret is the account's Auth Token; --url is the public URL Twilio called.
            let config = unibox_channel_twilio::TwilioConfig::builder()
                .auth_token(options.secret.clone())
                .webhook_url(options.url.clone())
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(unibox_channel_twilio::TwilioChannel::new(config).with_clock(clock)))
        }
        "shopee" => {
            // --secret is the partner key; --url is the push callback URL exactly as registered.
            let config = unibox_channel_shopee::ShopeeConfig::builder()
                .partner_key(options.secret.clone())
                .callback_url(options.url.clone())
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(unibox_channel_shopee::ShopeeChannel::new(config).with_clock(clock)))
        }
        "lazada" => {
            // --secret is the app secret; --app-key the app key the push signature covers.
            let config = unibox_channel_lazada::LazadaConfig::builder()
                .app_key(app_key(options)?)
                .app_secret(options.secret.clone())
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(unibox_channel_lazada::LazadaChannel::new(config).with_clock(clock)))
        }
        "tiktok-shop" => {
            // --secret is the app secret; --app-key the app key the push signature covers.
            let config = unibox_channel_tiktok_shop::TikTokShopConfig::builder()
                .app_key(app_key(options)?)
                .app_secret(options.secret.clone())
                .build()
                .map_err(configuration_error)?;
            Ok(Box::new(unibox_channel_tiktok_shop::TikTokShopChannel::new(config).with_clock(clock)))
        }
        other => Err(Failure::usage(format!("channel kind {other} is not built into this binary yet"))),
    }
}

/// `--app-key`, for the platforms whose push signature covers it.
fn app_key(options: &Options) -> Result<String, Failure> {
    let key = options.app_key.as_ref().ok_or_else(|| Failure::usage(format!("{} needs --app-key", options.channel)))?;
    Ok(key.expose_secret().to_owned())
}

fn read_body(path: &str, stdin: &mut dyn Read) -> Result<Vec<u8>, Failure> {
    let read = if path == "-" {
        let mut body = Vec::new();
        stdin.read_to_end(&mut body).map(|_| body)
    } else {
        std::fs::read(path)
    };
    read.map_err(|error| Failure {
        code: exit::NO_INPUT,
        message: format!("cannot read the body from {path}: {error}"),
    })
}

fn inspect(options: Options, stdin: &mut dyn Read, stdout: &mut dyn Write) -> Result<(), Failure> {
    let clock: Arc<dyn Clock> = match options.now {
        Some(seconds) => Arc::new(ManualClock::new(Timestamp::from_unix_seconds(seconds))),
        None => Arc::new(SystemClock),
    };
    let channel = channel_for(&options, clock)?;
    let kind = options.channel.as_str();
    if options.app_key.is_some() && !matches!(kind, "lazada" | "tiktok-shop") {
        return Err(Failure::usage(format!("--app-key is not used by the {kind} channel")));
    }
    if options.bot_token.is_some() && kind != "telegram" {
        return Err(Failure::usage(format!("--bot-token is not used by the {kind} channel")));
    }
    let url = options.url.parse().map_err(|error| Failure::usage(format!("--url {:?}: {error}", options.url)))?;
    let mut request = WebhookRequest::post(url, read_body(&options.body, stdin)?);
    for (name, value) in &options.headers {
        request = request
            .try_with_header(name, value)
            .map_err(|error| Failure::usage(format!("--header {name:?}: {}", error.message())))?;
    }

    let verified = channel.verify(&request).map_err(|error| {
        let mut message = format!("verification failed: {error}");
        let about_time = error.context().iter().any(|(key, _)| *key == "webhook_timestamp");
        if about_time && options.now.is_none() {
            message.push_str(
                "\nhint: a captured delivery is older than the tolerance; pass --now <its webhook-timestamp>",
            );
        }
        Failure { code: exit::VERIFICATION_FAILED, message }
    })?;
    let events = channel.parse(&verified).map_err(|error| Failure {
        code: exit::MALFORMED_PAYLOAD,
        message: format!("the delivery is authentic but its payload could not be parsed: {error}"),
    })?;

    // Everything is serialized before anything is written, so a failure leaves stdout empty.
    let mut out = String::new();
    for event in &events {
        let line = serde_json::to_string(event).map_err(|error| Failure {
            code: exit::MALFORMED_PAYLOAD,
            message: format!("event {} cannot be printed as JSON: {error}", event.id),
        })?;
        out.push_str(&line);
        out.push('\n');
    }
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure { code: exit::IO_ERROR, message: format!("cannot write to stdout: {error}") })
}

/// Runs the command with `args` (without the program name) and returns the exit code.
pub(crate) fn run(
    args: impl IntoIterator<Item = OsString>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let outcome = match parse_args(args) {
        Ok(Parsed::Help) => {
            let _ = writeln!(stdout, "{USAGE}");
            return exit::OK;
        }
        Ok(Parsed::Run(options)) => inspect(options, stdin, stdout),
        Err(failure) => Err(failure),
    };
    match outcome {
        Ok(()) => exit::OK,
        Err(Failure { code, message }) => {
            let _ = writeln!(stderr, "inspect_webhook: {message}");
            code
        }
    }
}

fn main() {
    let code =
        run(std::env::args_os().skip(1), &mut std::io::stdin().lock(), &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
