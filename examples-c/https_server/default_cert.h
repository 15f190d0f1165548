/*
 * Built-in certificate for https_server when no --cert/--key file is given
 * (always on the chip): a self-signed EC P-256 certificate for esp8266.local.
 * For demonstrations only: every copy of this example shares the key.
 */
static const char default_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBpDCCAUugAwIBAgIUd7vhtZGHil+oZqpaVbqezh7MtEswCgYIKoZIzj0EAwIw\n"
    "GDEWMBQGA1UEAwwNZXNwODI2Ni5sb2NhbDAeFw0yNjExMjcwNjEyMDNaFw0zNjEx\n"
    "MjQwNjEyMDNaMBgxFjAUBgNVBAMMDWVzcDgyNjYubG9jYWwwWTATBgcqhkjOPQIB\n"
    "BggqhkjOPQMBBwNCAAT76/NjgeUHLYDcRXr7S0CcQaitBhrzlj3v3Fsb0yVNE09v\n"
    "ljFGTFuH4D7yXWZeCraRV6CF2Kw6SwPYYwAQqKPyo3MwcTAdBgNVHQ4EFgQU6sh8\n"
    "c/DTNb+OcctBzIkKZsKO+nYwHwYDVR0jBBgwFoAU6sh8c/DTNb+OcctBzIkKZsKO\n"
    "+nYwDwYDVR0TAQH/BAUwAwEB/zAeBgNVHREEFzAVgg1lc3A4MjY2LmxvY2FshwTA\n"
    "qAQBMAoGCCqGSM49BAMCA0cAMEQCIB5hHXcXWwYVF0Oy55CSIVmy86WAs+YIAIxl\n"
    "GjH7YbWnAiBToU3wTAEdXWDQVGQQA4k+7hjIbU6pxvr/5EAUIXQl0A==\n"
    "-----END CERTIFICATE-----\n";

static const char default_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgje03di7/NNZouWsi\n"
    "rrpXShG0d7AOqMuS/4lU/2zUJRqhRANCAAT76/NjgeUHLYDcRXr7S0CcQaitBhrz\n"
    "lj3v3Fsb0yVNE09vljFGTFuH4D7yXWZeCraRV6CF2Kw6SwPYYwAQqKPy\n"
    "-----END PRIVATE KEY-----\n";
