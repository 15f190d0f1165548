//! The vendor's return codes, states and callback arguments, checked from a
//! NONOS-style C program (tests/c/secure_api.c) against openssl s_server.

mod support;

use support::*;

#[test]
fn vendor_return_codes_states_and_callback_arguments() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2"]);
    let dir = scratch("secure_api");
    let args = c_program_args(srv.port, &pki.join("ec/root.pem"), &dir, 20000);
    let r = run_example("test_secure_api", &args, 40);
    let checks: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("CHECK "))
        .collect();
    assert!(checks.len() >= 35, "checks missing:\n{}", r.stdout);
    let failed: Vec<&&str> = checks.iter().filter(|l| !l.ends_with(" ok")).collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}");
    assert!(r.has("DONE failures=0"));
    assert_eq!(r.code, Some(0));
}

#[test]
fn connect_is_refused_with_espconn_mem_when_the_heap_is_below_the_handshake_need() {
    let r = run_example(
        "https_get",
        &args(&[
            ("server", "127.0.0.1:9".into()),
            // Below the 7 KB `espconn_secure_connect` asks for.
            ("heap", "7000".into()),
            ("run-for", "3000".into()),
        ]),
        20,
    );
    assert!(
        r.stdout.contains("espconn_secure_connect failed: -1"),
        "expected ESPCONN_MEM"
    );
    assert!(
        r.stdout.contains("a handshake needs"),
        "reason line missing"
    );
}
