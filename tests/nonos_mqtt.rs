//! NONOS programs built with `build/host/nonos-cc` (README "Run your own
//! firmware on a PC"): the MQTT client example written in the SDK's idioms
//! (examples-c/nonos_mqtt) against mosquitto over TLS 1.2 with CA
//! verification, ten runs in a row; pointers that survive the casts to
//! 32 bits NONOS code makes; what the simulator cannot do fails at link time.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// mosquitto on 127.0.0.1 serving TLS 1.2 only with the `ec` chain.
fn mosquitto_tls12(dir: &Path) -> Peer {
    mosquitto_with(dir, &pki().join("ec"), false, "tls_version tlsv1.2\n")
}

#[test]
fn nonos_mqtt_example_round_trips_qos_0_1_2_ten_runs_in_a_row() {
    let dir = scratch("nonos_mqtt");
    let broker = mosquitto_tls12(&dir);
    let mut opts = ca_args(&dir, "ec");
    opts.extend(args(&[
        ("broker", format!("localhost:{}", broker.port)),
        ("time", now()),
        ("run-for", "15000".into()),
    ]));
    for i in 0..10 {
        let mut run_opts = opts.clone();
        run_opts.extend(args(&[("client-id", format!("nonos-mqtt-{i}"))]));
        let r = run_example("nonos_mqtt", &run_opts, 20);
        assert!(
            r.stdout.contains("uart: UART0 115200 baud"),
            "run {i}: uart_init"
        );
        assert!(r.has("gpio: GPIO2=1"), "run {i}: LED");
        assert!(r.stdout.contains("\nSNTP: "), "run {i}: waited for SNTP");
        assert!(r.has("DNS: localhost is 127.0.0.1"), "run {i}: resolved");
        assert!(r.has("client handshake ok!"), "run {i}: TLS");
        for q in 0..3 {
            assert!(
                r.has(&format!(
                    "MQTT RECEIVED topic=nonos/mqtt/{q} data=hello{q} qos={q}"
                )),
                "run {i}: QoS {q} message did not come back"
            );
        }
        for flow in [
            "MQTT PUBACK id=",
            "MQTT PUBREC id=",
            "MQTT PUBREL id=",
            "MQTT PUBCOMP id=",
        ] {
            assert!(r.stdout.contains(flow), "run {i}: no {flow}");
        }
        assert!(r.has("MQTT ALL OK"), "run {i}: not every flow completed");
        assert!(
            !r.stdout.contains("not one packet per recv callback"),
            "run {i}: a recv callback held more or less than one packet"
        );
        assert_eq!(r.code, Some(0), "run {i}: exit code");
        // The program frees its espconn at the end: every heap byte came back.
        assert_eq!(r.heap().1, 0, "run {i}: heap in use at exit");
    }
}

fn nonos_cc() -> PathBuf {
    // The example's build makes the driver, the simulator's main() and the library.
    host_binary("nonos_mqtt");
    host_binary("nonos-cc")
}

fn compile(name: &str, src: &str) -> (std::process::Output, PathBuf) {
    let dir = scratch(name);
    let c = dir.join("user_main.c");
    std::fs::write(&c, src).unwrap();
    let exe = dir.join(name);
    let out = Command::new(nonos_cc())
        .arg("-Wall")
        .arg("-Werror")
        .arg(&c)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run nonos-cc");
    (out, exe)
}

/// The simulator is a 32-bit process, as the chip: a pointer is 4 bytes, so a
/// pointer to anything (a global, the SDK heap, the stack) survives the casts
/// NONOS code does, and a posted one reaches the task whole.
#[test]
fn pointers_to_globals_the_heap_and_the_stack_survive_a_cast_to_uint32() {
    let (out, exe) = compile(
        "nonos_cc_ptr32",
        r#"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "sim_hooks.h"

static int global_state = 42;
static os_event_t queue[4];

static void task(os_event_t *e)
{
    int *p = (int *)e->par;
    os_printf("PAR %s %d\n", p == &global_state ? "global" : "heap", *p);
    if (p != &global_state) {
        os_free(p);
        sim_exit(0);
    }
}

/* Through a uint32 the compiler cannot see through. */
static int *roundtrip(int *p)
{
    volatile uint32 v = (uint32)p;
    return (int *)v;
}

void user_init(void)
{
    int local = 5;
    int *heap = (int *)os_malloc(sizeof *heap);
    *heap = 7;
    os_printf("POINTER %u bytes\n", (unsigned)sizeof(void *));
    os_printf("ROUNDTRIP %d %d %d\n", roundtrip(&global_state) == &global_state,
              roundtrip(heap) == heap, *roundtrip(&local) == 5);
    system_os_task(task, USER_TASK_PRIO_0, queue, 4);
    system_os_post(USER_TASK_PRIO_0, 0, (os_param_t)&global_state);
    system_os_post(USER_TASK_PRIO_0, 0, (os_param_t)heap);
}
"#,
    );
    assert!(
        out.status.success(),
        "nonos-cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe)
        .args(["--run-for", "3000"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("POINTER 4 bytes"), "{stdout}");
    assert!(stdout.contains("ROUNDTRIP 1 1 1"), "{stdout}");
    assert!(stdout.contains("PAR global 42"), "{stdout}");
    assert!(stdout.contains("PAR heap 7"), "{stdout}");
    assert_eq!(run.status.code(), Some(0), "{stdout}");
}

#[test]
fn a_call_the_simulator_cannot_do_fails_at_link_time_naming_it() {
    let (out, _) = compile(
        "nonos_cc_unsupported",
        r#"
#include "user_interface.h"
#include "pwm.h"

void user_init(void)
{
    uint32 duty[1] = { 0 };
    uint32 pins[1][3] = { { PERIPHS_IO_MUX_MTDI_U, FUNC_GPIO12, 12 } };
    pwm_init(1000, duty, 1, pins);
    wifi_softap_dhcps_start();
}
"#,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "linked although pwm_init is not simulated"
    );
    assert!(err.contains("undefined reference to `pwm_init'"), "{err}");
    assert!(
        err.contains("undefined reference to `wifi_softap_dhcps_start'"),
        "{err}"
    );
}
