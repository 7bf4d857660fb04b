//! A PostgreSQL server of the test's own, in a temporary folder on a free port, which the test can restart: the
//! shared server the other tests use must not go down under them. Built from Debian's server binaries, which
//! `scripts/setup --test` installs; run as the `postgres` user when the tests run as root (PostgreSQL refuses
//! root), like `scripts/lib-postgres.sh`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct ThrowawayPostgres {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

/// Whether the tests run as root.
fn root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs a server command as the owner of the data folder.
fn as_owner(program: PathBuf) -> Command {
    if root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl ThrowawayPostgres {
    pub fn start() -> ThrowawayPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries must be installed (scripts/setup --test)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("no initdb under /usr/lib/postgresql");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        if root() {
            let status = Command::new("chown").arg("postgres").arg(dir.path()).status().unwrap();
            assert!(status.success());
        }
        let data = dir.path().join("data");
        let status = as_owner(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "initdb failed");
        let server = ThrowawayPostgres { port, bin, dir };
        server.pg_ctl("start");
        server
    }

    /// The admin URL, as `SEV_TEST_POSTGRES` takes it.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server the way an operator's fast restart does: every connection is cut.
    pub fn stop(&self) {
        self.pg_ctl("stop");
    }

    pub fn resume(&self) {
        self.pg_ctl("start");
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let mut command = as_owner(self.bin.join("pg_ctl"));
        command.arg("-D").arg(&data).arg("-w").args(["-m", "fast"]);
        if action == "start" {
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                self.port,
                self.dir.path().display()
            );
            command.arg("-l").arg(self.dir.path().join("log")).args(["-o", &options]);
        }
        let status = command.arg(action).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
        assert!(status.success(), "pg_ctl {action} failed");
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = as_owner(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
