//! One record per espconn (issue #17 item 2), checked from a NONOS-style C
//! program (tests/c/records.c) against openssl s_server: host names beyond the
//! old 8-entry table are all checked, a deleted espconn's address starts with
//! nothing, and a host name that could not be stored (injected allocation
//! failures) refuses the connect instead of skipping the name check; so do
//! public-key pins that could not be stored.

mod support;

use support::*;

#[test]
fn every_espconn_gets_its_host_name_checked_and_a_reused_address_inherits_nothing() {
    let pki = pki();
    let srv = openssl_server(&pki.join("ec"), &["-tls1_2", "-alpn", "x-old"]);
    let dir = scratch("records");
    let args = c_program_args(srv.port, &pki.join("ec/root.pem"), &dir, 60000);
    let r = run_example("test_records", &args, 90);
    let checks: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("CHECK "))
        .collect();
    let failed: Vec<&&str> = checks.iter().filter(|l| !l.ends_with(" ok")).collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}\n{}", r.stdout);
    for must in [
        "CHECK many_8_rejected_for_its_name ok",
        "CHECK many_19_rejected_for_its_name ok",
        "CHECK many_18_connected ok",
        "CHECK new_no_inherited_name ok",
        "CHECK new_no_inherited_alpn ok",
        "CHECK new_no_last_error ok",
        "CHECK oom_some_allocation_failed ok",
        "CHECK oom_recovered_connected ok",
        "CHECK pin_oom_false ok",
        "CHECK pin_oom_connect_refused ok",
        "CHECK pin_cleared_record_gone ok",
    ] {
        assert!(r.has(must), "missing {must:?}:\n{}", r.stdout);
    }
    assert!(
        r.stdout.contains("connect refused: the public-key pins asked for with espconn_secure_pin_public_key were not stored"),
        "the pins' refusal names its cause:\n{}",
        r.stdout
    );
    assert!(r.has("DONE failures=0"), "{}", r.stdout);
    assert_eq!(r.code, Some(0));
}
