//! A throwaway PostgreSQL server for tests, started from the PostgreSQL
//! binaries installed on the machine.
//!
//! [`TempPostgres::start`] makes a cluster with `initdb` in a fresh
//! temporary directory, starts it with `pg_ctl` on a free port of
//! 127.0.0.1 (and a Unix socket in the same directory), and removes both
//! when the value is dropped. Run as root, every PostgreSQL command runs as
//! the user `postgres` through `runuser`, because `initdb` refuses root.
//!
//! The binaries are looked for in `$PG_BIN`, then in the newest
//! `/usr/lib/postgresql/<version>/bin` (where Debian installs them), then on
//! `PATH`. Without them, `start` returns `None` after printing one line to
//! standard error, so a test can skip its PostgreSQL half; when the
//! environment variable `CI` is set it panics instead, so CI never skips
//! silently.
//!
//! A watchdog process stops the server when the test process ends, even if
//! it ends without dropping the value (a `static`, an abort).
//!
//! ```no_run
//! let Some(pg) = temp_postgres::TempPostgres::start() else { return };
//! let url = pg.create_database("orders");
//! // connect to `url` with any PostgreSQL client
//! ```

use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// A running PostgreSQL cluster in a temporary directory; stopped and
/// removed on drop.
#[derive(Debug)]
pub struct TempPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl TempPostgres {
    /// Makes and starts a fresh cluster.
    ///
    /// Returns `None` (after saying so once on standard error) when the
    /// PostgreSQL binaries are not installed, unless `CI` is set.
    ///
    /// # Panics
    ///
    /// When the binaries are missing and `CI` is set, or when they are
    /// there but the cluster cannot be made or started: a broken set-up
    /// must fail the test, not skip it.
    pub fn start() -> Option<Self> {
        let Some(bin) = find_binaries() else {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL binaries (initdb, pg_ctl) not found, and CI is set: install PostgreSQL or set PG_BIN");
            }
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                eprintln!("PostgreSQL binaries (initdb, pg_ctl) not found: tests that need PostgreSQL are skipped (set PG_BIN to their directory)");
            });
            return None;
        };
        let as_postgres = running_as_root();
        let dir = fresh_dir().expect("a temporary directory for PostgreSQL");
        if as_postgres {
            run(Command::new("chown").args(["-R", "postgres:"]).arg(&dir))
                .expect("chown of the PostgreSQL directory to postgres");
        }
        let mut pg = TempPostgres {
            bin,
            dir,
            port: 0,
            as_postgres,
        };
        pg.init().expect("initdb");
        // A port found free may be taken before the server binds it: try
        // a few.
        let mut last = None;
        for _ in 0..5 {
            pg.port = free_port().expect("a free port on 127.0.0.1");
            match pg.pg_ctl_start() {
                Ok(()) => {
                    pg.spawn_watchdog();
                    return Some(pg);
                }
                Err(e) => last = Some(e),
            }
        }
        panic!(
            "PostgreSQL did not start: {}\n{}",
            last.unwrap(),
            fs::read_to_string(pg.log_file()).unwrap_or_default()
        );
    }

    /// The connection URL of the `postgres` database, as the superuser
    /// `postgres` over TCP (trust authentication).
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The connection URL of database `name` on this server.
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates database `name` and returns its URL.
    ///
    /// # Panics
    ///
    /// When `createdb` fails (the name is taken, the server is stopped).
    pub fn create_database(&self, name: &str) -> String {
        let port = self.port.to_string();
        self.pg(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name],
        )
        .unwrap_or_else(|e| panic!("createdb {name}: {e}"));
        self.database_url(name)
    }

    /// Stops the server (fast shutdown: sessions are ended, committed work
    /// is kept), as a database outage would. [`start_again`] brings it back
    /// on the same port with the same data.
    ///
    /// [`start_again`]: TempPostgres::start_again
    ///
    /// # Panics
    ///
    /// When `pg_ctl stop` fails.
    pub fn stop(&self) {
        let data = self.data_dir();
        self.pg(
            "pg_ctl",
            &["stop", "-D", path_str(&data), "-m", "fast", "-w"],
        )
        .expect("pg_ctl stop");
    }

    /// Starts the server again after [`stop`](TempPostgres::stop), on the
    /// same port.
    ///
    /// # Panics
    ///
    /// When the server does not start.
    pub fn start_again(&self) {
        self.pg_ctl_start().expect("pg_ctl start");
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn init(&self) -> io::Result<()> {
        let data = self.data_dir();
        self.pg(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )
        .map(drop)
    }

    fn pg_ctl_start(&self) -> io::Result<()> {
        let data = self.data_dir();
        let log = self.log_file();
        // fsync off: a test cluster does not outlive the machine, and
        // commits still reach the operating system before they are
        // acknowledged, so a stopped or killed server keeps them.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200",
            self.port,
            path_str(&self.dir)
        );
        self.pg(
            "pg_ctl",
            &[
                "start",
                "-D",
                path_str(&data),
                "-l",
                path_str(&log),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
            ],
        )
        .map(drop)
    }

    /// Stops the server when this process ends, however it ends.
    fn spawn_watchdog(&self) {
        let data = self.data_dir();
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = format!(
            "{} stop -D {} -m immediate",
            path_str(&pg_ctl),
            path_str(&data)
        );
        let stop = if self.as_postgres {
            format!("runuser -u postgres -- {stop}")
        } else {
            stop
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null && [ -d {dir} ]; do sleep 1; done; \
             [ -d {data} ] && {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = path_str(&self.dir),
            data = path_str(&data),
        );
        // The watchdog is detached on purpose: it must outlive us.
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    /// Runs PostgreSQL program `name` with `args`, as `postgres` when we
    /// are root.
    fn pg(&self, name: &str, args: &[&str]) -> io::Result<Output> {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).current_dir(&self.dir);
        run(&mut command)
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.pg(
            "pg_ctl",
            &["stop", "-D", path_str(&data), "-m", "immediate", "-w"],
        );
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn run(command: &mut Command) -> io::Result<Output> {
    let output = command.stdin(Stdio::null()).output()?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(io::Error::other(format!(
            "{:?} exited with {}: {}{}",
            command,
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str()
        .expect("temporary directories have UTF-8 paths")
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn find_binaries() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return has_tools(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|dir| has_tools(dir))
}

fn fresh_dir() -> io::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("temp-postgres-{}-{n}", std::process::id()));
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::TempPostgres;

    /// The server answers SQL over TCP, keeps data across stop and
    /// start_again, and is gone after drop.
    #[test]
    fn starts_stops_and_cleans_up() {
        let Some(pg) = TempPostgres::start() else {
            return;
        };
        let psql = |sql: &str| {
            let out = pg
                .pg("psql", &["-X", "-A", "-t", "-d", &pg.url(), "-c", sql])
                .expect("psql");
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        psql("CREATE TABLE t (v int); INSERT INTO t VALUES (7)");
        pg.stop();
        assert!(std::net::TcpStream::connect(("127.0.0.1", pg.port())).is_err());
        pg.start_again();
        assert_eq!(psql("SELECT v FROM t"), "7");
        let url = pg.create_database("other");
        assert!(url.ends_with("/other"));
        let dir = pg.dir.clone();
        drop(pg);
        assert!(!dir.exists());
    }
}
