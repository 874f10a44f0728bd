//! The demo tenant's entities as Defender spells them (camelCase JSON) and
//! as the database stores them (snake_case columns), and the seed data:
//! the nine named machines with their alerts, actions, files, domains and
//! IPs, plus, for `--demo-machines N`, generated machines, alerts and
//! indicators, deterministically. The database ([`crate::db`]) holds them.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use utoipa::ToSchema;

/// A device (`GET /api/machines`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Machine {
    pub(crate) id: String,
    pub(crate) computer_dns_name: String,
    pub(crate) first_seen: String,
    pub(crate) last_seen: String,
    pub(crate) os_platform: String,
    pub(crate) os_version: Option<String>,
    pub(crate) agent_version: Option<String>,
    pub(crate) last_ip_address: Option<String>,
    pub(crate) health_status: String,
    pub(crate) risk_score: String,
    pub(crate) exposure_level: String,
    pub(crate) onboarding_status: String,
    #[sqlx(skip)]
    pub(crate) machine_tags: Vec<String>,
    pub(crate) is_isolated: bool,
}

/// An alert (`GET /api/alerts`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Alert {
    pub(crate) id: String,
    pub(crate) incident_id: i64,
    pub(crate) title: String,
    pub(crate) category: Option<String>,
    pub(crate) severity: String,
    pub(crate) status: String,
    pub(crate) detection_source: String,
    pub(crate) alert_creation_time: String,
    pub(crate) machine_id: String,
    pub(crate) computer_dns_name: String,
}

/// A machine action: what `isolate` and its siblings create.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MachineAction {
    pub(crate) id: String,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub(crate) kind: String,
    pub(crate) scope: Option<String>,
    pub(crate) requestor: String,
    pub(crate) requestor_comment: String,
    pub(crate) status: String,
    pub(crate) machine_id: String,
    pub(crate) computer_dns_name: String,
    pub(crate) creation_date_time_utc: String,
    pub(crate) last_update_date_time_utc: String,
}

/// File information (`GET /api/files/{hash}`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileInfo {
    pub(crate) sha1: String,
    pub(crate) sha256: String,
    pub(crate) md5: String,
    pub(crate) global_prevalence: i64,
    pub(crate) global_first_observed: String,
    pub(crate) global_last_observed: String,
    pub(crate) size: i64,
    pub(crate) file_type: Option<String>,
    pub(crate) is_pe_file: bool,
    pub(crate) file_publisher: Option<String>,
    pub(crate) file_product_name: Option<String>,
    pub(crate) signer: Option<String>,
    pub(crate) is_valid_certificate: Option<bool>,
    pub(crate) determination_type: String,
    pub(crate) determination_value: String,
}

/// Organization statistics of a domain (`GET /api/domains/{domain}/stats`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HostStats {
    pub(crate) host: String,
    pub(crate) org_prevalence: String,
    pub(crate) org_first_seen: Option<String>,
    pub(crate) org_last_seen: Option<String>,
}

/// Organization statistics of an IP address (`GET /api/ips/{ip}/stats`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IpStats {
    pub(crate) ip_address: String,
    pub(crate) org_prevalence: String,
    pub(crate) org_first_seen: Option<String>,
    pub(crate) org_last_seen: Option<String>,
}

/// A custom indicator of compromise (`POST /api/indicators`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Indicator {
    pub(crate) id: String,
    pub(crate) indicator_value: String,
    pub(crate) indicator_type: String,
    pub(crate) action: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) severity: String,
    pub(crate) created_by: String,
    pub(crate) creation_time_date_time_utc: String,
    pub(crate) last_update_time: String,
    pub(crate) source_type: String,
}

/// Everything a fresh tenant holds, in the order it is stored.
pub(crate) struct Tenant {
    pub(crate) live_response: bool,
    pub(crate) machines: Vec<Machine>,
    pub(crate) alerts: Vec<Alert>,
    pub(crate) actions: Vec<MachineAction>,
    pub(crate) files: Vec<FileInfo>,
    pub(crate) domains: Vec<HostStats>,
    pub(crate) ips: Vec<IpStats>,
    pub(crate) indicators: Vec<Indicator>,
}

/// The named machines of the demo tenant.
pub(crate) const NAMED_MACHINES: u64 = 9;

impl Tenant {
    /// The demo tenant with `machines` machines: the nine named ones, then
    /// generated ones (see [`Tenant::extend`]). The same count gives the
    /// same tenant.
    pub(crate) fn generate(machines: u64) -> Tenant {
        let mut tenant = Tenant::seed();
        tenant.extend(machines.saturating_sub(NAMED_MACHINES));
        tenant
    }

    fn seed() -> Self {
        let machines = vec![
            machine(
                "1e5bc9d7e413ddd7902c2932e418702b84d0cc07",
                "ws-finance-01.contoso.local",
                ("Windows11", "23H2", "10.8760.22631.3007"),
                ("Active", "High", "High"),
                "2026-11-24T08:12:44.3358030Z",
                &["Finance", "Prod"],
                false,
            ),
            machine(
                "7292b3b0f1cbd1f8c5d5e6b3c9e0a6d1e2f3a4b5",
                "ws-sales-07.contoso.local",
                ("Windows10", "22H2", "10.8210.19041.4046"),
                ("Active", "Medium", "Medium"),
                "2026-11-24T07:58:02.1144900Z",
                &["Sales"],
                false,
            ),
            machine(
                "04c99d46599f078f1c3da3783cf5b95f01ac61bb",
                "ws-legacy-02.contoso.local",
                ("Windows10", "1809", "10.3720.17763.1"),
                ("ImpairedCommunication", "Low", "Medium"),
                "2026-11-20T16:40:19.0000000Z",
                &["Legacy"],
                false,
            ),
            machine(
                "b7e4c0a5d2f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5",
                "srv-dc-01.contoso.local",
                ("WindowsServer2019", "1809", "10.8760.17763.5206"),
                ("Active", "Informational", "Low"),
                "2026-11-24T08:15:00.9871230Z",
                &["Prod", "DomainController"],
                false,
            ),
            machine(
                "3f9a2c7e1b4d8f0a6c2e9b5d7f1a3c8e0b6d4f2a",
                "srv-files-02.contoso.local",
                ("WindowsServer2019", "1809", "10.8760.17763.5206"),
                ("Active", "High", "High"),
                "2026-11-24T06:02:37.5550000Z",
                &["Prod"],
                true,
            ),
            machine(
                "9d1e7b3a5c0f2e8d4b6a1c9e3f7d5b0a2c8e4f6d",
                "lnx-web-01.contoso.local",
                ("Linux", "Ubuntu 22.04", "101.24052.0002"),
                ("Active", "None", "Low"),
                "2026-11-24T08:10:10.1010100Z",
                &["Prod", "Web"],
                false,
            ),
            machine(
                "c2a8e4f6b0d1c3e5a7b9d2f4a6c8e0b1d3f5a7c9",
                "lnx-build-03.contoso.local",
                ("Linux", "RHEL 9.3", "101.24052.0002"),
                ("Inactive", "Low", "Low"),
                "2026-10-30T12:00:00.0000000Z",
                &["Build"],
                false,
            ),
            machine(
                "e6b2d8f0a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4",
                "mac-design-04.contoso.local",
                ("macOS", "14.4", "101.24032.0007"),
                ("Active", "Medium", "Medium"),
                "2026-11-24T07:45:31.2718280Z",
                &["Design"],
                false,
            ),
            machine(
                "5a0c4e8b2d6f1a3c5e7b9d0f2a4c6e8b1d3f5a7c",
                "ws-hr-05.contoso.local",
                ("Windows11", "23H2", "10.8760.22631.3007"),
                ("NoSensorData", "None", "Low"),
                "2026-11-12T09:30:00.0000000Z",
                &[],
                false,
            ),
        ];
        // (n, title, category, severity, status, machine index, created)
        #[rustfmt::skip]
        let alerts: [AlertSeed; 12] = [
            (1, "Suspicious PowerShell command line", "Execution", "High", "New", 0, "2026-11-24T07:01:12.0000000Z"),
            (2, "Possible credential dumping", "CredentialAccess", "High", "InProgress", 3, "2026-11-23T22:14:09.0000000Z"),
            (3, "Ransomware behavior detected", "Ransomware", "High", "New", 4, "2026-11-24T05:59:51.0000000Z"),
            (4, "Suspicious file dropped", "Malware", "Medium", "New", 1, "2026-11-22T13:20:00.0000000Z"),
            (5, "Unusual outbound connection", "CommandAndControl", "Medium", "Resolved", 5, "2026-11-19T10:05:47.0000000Z"),
            (6, "Reverse shell from web server", "Execution", "High", "InProgress", 5, "2026-11-24T02:11:30.0000000Z"),
            (7, "Outdated sensor version", "SuspiciousActivity", "Low", "New", 2, "2026-11-21T08:00:00.0000000Z"),
            (8, "Malicious macro in document", "InitialAccess", "Medium", "Resolved", 7, "2026-11-18T15:42:18.0000000Z"),
            (9, "Anomalous account lookups", "Discovery", "Informational", "New", 3, "2026-11-24T06:30:00.0000000Z"),
            (10, "Build agent downloaded a known hacktool", "Malware", "Low", "Resolved", 6, "2026-10-29T11:11:11.0000000Z"),
            (11, "Phishing link clicked", "InitialAccess", "Medium", "New", 0, "2026-11-24T08:02:03.0000000Z"),
            (12, "Persistence through scheduled task", "Persistence", "Medium", "New", 1, "2026-11-23T19:48:27.0000000Z"),
        ];
        let mut store = Tenant {
            live_response: false,
            alerts: Vec::new(),
            actions: Vec::new(),
            files: seed_files(),
            domains: vec![
                host_stats(
                    "contoso.com",
                    18204,
                    "2024-01-03T09:00:00Z",
                    "2026-11-24T08:15:00Z",
                ),
                host_stats(
                    "login.microsoftonline.com",
                    95410,
                    "2024-01-02T08:00:00Z",
                    "2026-11-24T08:15:02Z",
                ),
                host_stats(
                    "malicious-updates.example",
                    3,
                    "2026-11-22T13:19:58Z",
                    "2026-11-24T05:59:40Z",
                ),
            ],
            ips: vec![
                ip_stats(
                    "10.0.0.4",
                    63515,
                    "2024-01-02T08:00:00Z",
                    "2026-11-24T08:15:00Z",
                ),
                ip_stats(
                    "203.0.113.66",
                    2,
                    "2026-11-24T02:11:29Z",
                    "2026-11-24T02:13:02Z",
                ),
                ip_stats(
                    "2001:db8::15",
                    411,
                    "2025-06-01T00:00:00Z",
                    "2026-11-23T23:59:59Z",
                ),
            ],
            indicators: Vec::new(),
            machines,
        };
        store.alerts = alerts
            .into_iter()
            .map(|(n, title, category, severity, status, machine, created)| {
                let machine = &store.machines[machine];
                Alert {
                    id: format!("da6374729003828{n:04}_{}", 1_364_969_609 + n),
                    incident_id: 400 + n,
                    title: title.to_owned(),
                    category: Some(category.to_owned()),
                    severity: severity.to_owned(),
                    status: status.to_owned(),
                    detection_source: "WindowsDefenderAtp".to_owned(),
                    alert_creation_time: created.to_owned(),
                    machine_id: machine.id.clone(),
                    computer_dns_name: machine.computer_dns_name.clone(),
                }
            })
            .collect();
        // One collected investigation package (its download link works) and
        // the isolation of the machine that is isolated already.
        let (files_server, dc) = (&store.machines[4], &store.machines[3]);
        store.actions = vec![
            MachineAction {
                id: "b89eb834-4578-496c-8be0-03f004061435".to_owned(),
                kind: "Isolate".to_owned(),
                scope: Some("Full".to_owned()),
                requestor: "soc@contoso.com".to_owned(),
                requestor_comment: "Ransomware behavior on the file server".to_owned(),
                status: "Succeeded".to_owned(),
                machine_id: files_server.id.clone(),
                computer_dns_name: files_server.computer_dns_name.clone(),
                creation_date_time_utc: "2026-11-24T06:05:00.0000000Z".to_owned(),
                last_update_date_time_utc: "2026-11-24T06:05:41.0000000Z".to_owned(),
            },
            MachineAction {
                id: "7f1a6c3e-2b9d-4e0a-8c5f-1d2e3f4a5b6c".to_owned(),
                kind: "CollectInvestigationPackage".to_owned(),
                scope: None,
                requestor: "soc@contoso.com".to_owned(),
                requestor_comment: "Credential dumping investigation".to_owned(),
                status: "Succeeded".to_owned(),
                machine_id: dc.id.clone(),
                computer_dns_name: dc.computer_dns_name.clone(),
                creation_date_time_utc: "2026-11-23T22:30:00.0000000Z".to_owned(),
                last_update_date_time_utc: "2026-11-23T22:41:12.0000000Z".to_owned(),
            },
        ];
        store
    }
}

/// The operating systems of generated machines: the `osPlatform` members,
/// each with its host name prefix and its OS versions.
pub(crate) const PLATFORMS: [(&str, &str, &[&str]); 5] = [
    ("Windows10", "ws", &["22H2", "21H2", "1809"]),
    ("Windows11", "ws", &["23H2", "22H2"]),
    ("WindowsServer2019", "srv", &["1809"]),
    ("Linux", "lnx", &["Ubuntu 22.04", "RHEL 9.3", "Debian 12"]),
    ("macOS", "mac", &["14.4", "13.6"]),
];
/// The members of a machine's `healthStatus`.
pub(crate) const HEALTH: [&str; 6] = [
    "Active",
    "Inactive",
    "ImpairedCommunication",
    "NoSensorData",
    "NoSensorDataImpairedCommunication",
    "Unknown",
];
/// The members of a machine's `riskScore`.
pub(crate) const RISK: [&str; 5] = ["None", "Informational", "Low", "Medium", "High"];
/// The members of a machine's `exposureLevel`.
pub(crate) const EXPOSURE: [&str; 4] = ["None", "Low", "Medium", "High"];
/// The members of an alert's `severity`.
pub(crate) const SEVERITIES: [&str; 5] = ["UnSpecified", "Informational", "Low", "Medium", "High"];
/// The members of an alert's `status`.
pub(crate) const STATUSES: [&str; 4] = ["Unknown", "New", "InProgress", "Resolved"];
/// The members of an indicator's `indicatorType`.
pub(crate) const INDICATOR_TYPES: [&str; 6] = [
    "FileSha1",
    "FileSha256",
    "FileMd5",
    "IpAddress",
    "DomainName",
    "Url",
];
/// The members of an indicator's `action`.
pub(crate) const ACTIONS: [&str; 3] = ["Alert", "Block", "Allowed"];
/// The members of an indicator's `severity`.
pub(crate) const INDICATOR_SEVERITIES: [&str; 4] = ["Informational", "Low", "Medium", "High"];

impl Tenant {
    /// Adds `count` generated machines, about as many alerts (0 to 2 per
    /// machine) and an indicator for every fourth machine. Values vary
    /// (every platform, health, risk and exposure, dates over two years,
    /// tags with quotes, `%` and `_`), some are null (OS version, agent
    /// version, last IP address, alert category), and a given count always
    /// gives the same rows.
    fn extend(&mut self, count: u64) {
        const TAGS: [&str; 10] = [
            "Prod",
            "Finance",
            "Sales",
            "Legacy",
            "Web",
            "Build",
            "Design",
            "O'Brien",
            "100%_off",
            "back\\slash",
        ];
        const TITLES: [(&str, &str); 6] = [
            ("Suspicious PowerShell command line", "Execution"),
            ("Possible credential dumping", "CredentialAccess"),
            ("Suspicious file dropped", "Malware"),
            ("Unusual outbound connection", "CommandAndControl"),
            ("Phishing link clicked", "InitialAccess"),
            ("Persistence through scheduled task", "Persistence"),
        ];
        // 2025-01-01T00:00:00Z and two years of seconds after it.
        const START: u64 = 1_735_689_600;
        const SPAN: u64 = 2 * 365 * 86_400;

        let mut rng = SplitMix64(0x5eed_d3fe_11de_2026);
        let mut alert_number: i64 = 1000;
        let mut indicator_number = self.indicators.len() as u64;
        for n in 0..count {
            let pick = |rng: &mut SplitMix64, len: usize| (rng.next() % len as u64) as usize;
            let (platform, prefix, versions) = PLATFORMS[pick(&mut rng, PLATFORMS.len())];
            let id = format!(
                "{:016x}{:016x}{:08x}",
                rng.next(),
                rng.next(),
                rng.next() as u32
            );
            let first = START + rng.next() % SPAN;
            let last = first + rng.next() % (START + SPAN - first + 1);
            let mut tags = Vec::new();
            for _ in 0..pick(&mut rng, 4) {
                let tag = TAGS[pick(&mut rng, TAGS.len())].to_owned();
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            let machine = Machine {
                id,
                computer_dns_name: format!("{prefix}-{n:06}.contoso.local"),
                first_seen: timestamp(first, (rng.next() % 1_000_000) as u32 * 10),
                last_seen: timestamp(last, (rng.next() % 1_000_000) as u32 * 10),
                os_platform: platform.to_owned(),
                os_version: (!rng.next().is_multiple_of(10))
                    .then(|| versions[pick(&mut rng, versions.len())].to_owned()),
                agent_version: (!rng.next().is_multiple_of(20)).then(|| {
                    format!(
                        "10.{}.{}.{}",
                        3000 + rng.next() % 6000,
                        17_000 + rng.next() % 6000,
                        rng.next() % 6000
                    )
                }),
                last_ip_address: (!rng.next().is_multiple_of(7)).then(|| {
                    format!(
                        "10.{}.{}.{}",
                        rng.next() % 256,
                        rng.next() % 256,
                        1 + rng.next() % 254
                    )
                }),
                health_status: HEALTH[pick(&mut rng, HEALTH.len())].to_owned(),
                risk_score: RISK[pick(&mut rng, RISK.len())].to_owned(),
                exposure_level: EXPOSURE[pick(&mut rng, EXPOSURE.len())].to_owned(),
                onboarding_status: "Onboarded".to_owned(),
                machine_tags: tags,
                is_isolated: rng.next().is_multiple_of(25),
            };
            for _ in 0..pick(&mut rng, 3) {
                alert_number += 1;
                let (title, category) = TITLES[pick(&mut rng, TITLES.len())];
                let created = START + rng.next() % SPAN;
                self.alerts.push(Alert {
                    id: format!("da{:016x}_{alert_number}", rng.next()),
                    incident_id: alert_number / 2,
                    title: title.to_owned(),
                    category: (!rng.next().is_multiple_of(9)).then(|| category.to_owned()),
                    severity: SEVERITIES[pick(&mut rng, SEVERITIES.len())].to_owned(),
                    status: STATUSES[pick(&mut rng, STATUSES.len())].to_owned(),
                    detection_source: "WindowsDefenderAtp".to_owned(),
                    alert_creation_time: timestamp(created, (rng.next() % 1_000_000) as u32 * 10),
                    machine_id: machine.id.clone(),
                    computer_dns_name: machine.computer_dns_name.clone(),
                });
            }
            if n.is_multiple_of(4) {
                indicator_number += 1;
                let kind = INDICATOR_TYPES[pick(&mut rng, INDICATOR_TYPES.len())];
                let a = rng.next();
                let value = match kind {
                    "FileSha1" => format!("{a:016x}{:016x}{:08x}", rng.next(), rng.next() as u32),
                    "FileSha256" => format!(
                        "{a:016x}{:016x}{:016x}{:016x}",
                        rng.next(),
                        rng.next(),
                        rng.next()
                    ),
                    "FileMd5" => format!("{a:016x}{:016x}", rng.next()),
                    // Unique per indicator number (below 2^24).
                    "IpAddress" => format!(
                        "10.{}.{}.{}",
                        indicator_number >> 16 & 0xff,
                        indicator_number >> 8 & 0xff,
                        indicator_number & 0xff
                    ),
                    "DomainName" => format!("host-{indicator_number}.malicious.example"),
                    _ => format!("https://host-{indicator_number}.malicious.example/p?q={a}"),
                };
                let created = timestamp(START + rng.next() % SPAN, 0);
                self.indicators.push(Indicator {
                    id: indicator_number.to_string(),
                    indicator_value: value,
                    indicator_type: kind.to_owned(),
                    action: ACTIONS[pick(&mut rng, ACTIONS.len())].to_owned(),
                    title: format!("Demo indicator {indicator_number}"),
                    description: "Generated for a demo tenant".to_owned(),
                    severity: INDICATOR_SEVERITIES[pick(&mut rng, INDICATOR_SEVERITIES.len())]
                        .to_owned(),
                    created_by: "demo-admin".to_owned(),
                    creation_time_date_time_utc: created.clone(),
                    last_update_time: created,
                    source_type: "User".to_owned(),
                });
            }
            self.machines.push(machine);
        }
    }
}

/// The splitmix64 generator: a fixed seed gives a fixed sequence.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn machine(
    id: &str,
    dns: &str,
    (os_platform, os_version, agent_version): (&str, &str, &str),
    (health_status, risk_score, exposure_level): (&str, &str, &str),
    last_seen: &str,
    tags: &[&str],
    is_isolated: bool,
) -> Machine {
    Machine {
        id: id.to_owned(),
        computer_dns_name: dns.to_owned(),
        first_seen: "2024-02-12T10:00:00.0000000Z".to_owned(),
        last_seen: last_seen.to_owned(),
        os_platform: os_platform.to_owned(),
        os_version: Some(os_version.to_owned()),
        agent_version: Some(agent_version.to_owned()),
        last_ip_address: Some(format!(
            "10.0.1.{}",
            u8::from_str_radix(&id[..2], 16).unwrap_or(1)
        )),
        health_status: health_status.to_owned(),
        risk_score: risk_score.to_owned(),
        exposure_level: exposure_level.to_owned(),
        onboarding_status: "Onboarded".to_owned(),
        machine_tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        is_isolated,
    }
}

/// (number, title, category, severity, status, index of the machine, creation time)
type AlertSeed = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    &'static str,
);

fn seed_files() -> Vec<FileInfo> {
    vec![
        FileInfo {
            sha1: "4388963aaa83afe2042a46a3c017ad50bdcdafb3".to_owned(),
            sha256: "413c58c8267d2c8648d8f6384bacc2ae9c929b2b96578b6860b5087cd1bd6462".to_owned(),
            md5: "7c6c2e3c4a5e8b1d9f0a2b4c6d8e0f1a".to_owned(),
            global_prevalence: 180_022,
            global_first_observed: "2017-07-27T16:41:07.3600770Z".to_owned(),
            global_last_observed: "2026-11-24T05:31:06.1940120Z".to_owned(),
            size: 22_139_496,
            file_type: Some("PortableExecutable".to_owned()),
            is_pe_file: true,
            file_publisher: Some("CHENGDU YIWO Tech Development Co., Ltd.".to_owned()),
            file_product_name: Some("EaseUS MobiSaver for Android".to_owned()),
            signer: Some("CHENGDU YIWO Tech Development Co., Ltd.".to_owned()),
            is_valid_certificate: Some(false),
            determination_type: "Pua".to_owned(),
            determination_value: "PUA:Win32/FusionCore".to_owned(),
        },
        FileInfo {
            sha1: "a2c1d3e5f7091b3d5f7a9c1e3b5d7f9a1c3e5b7d".to_owned(),
            sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_owned(),
            md5: "d41d8cd98f00b204e9800998ecf8427e".to_owned(),
            global_prevalence: 3,
            global_first_observed: "2026-11-22T13:19:58.0000000Z".to_owned(),
            global_last_observed: "2026-11-24T05:59:40.0000000Z".to_owned(),
            size: 48_128,
            file_type: Some("PortableExecutable".to_owned()),
            is_pe_file: true,
            file_publisher: None,
            file_product_name: None,
            signer: None,
            is_valid_certificate: None,
            determination_type: "Malware".to_owned(),
            determination_value: "Trojan:Win32/Demo.A!ml".to_owned(),
        },
        FileInfo {
            sha1: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c".to_owned(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
            md5: "098f6bcd4621d373cade4e832627b4f6".to_owned(),
            global_prevalence: 1_204_993,
            global_first_observed: "2019-03-14T08:00:00.0000000Z".to_owned(),
            global_last_observed: "2026-11-24T08:00:00.0000000Z".to_owned(),
            size: 453_120,
            file_type: Some("PortableExecutable".to_owned()),
            is_pe_file: true,
            file_publisher: Some("Microsoft Corporation".to_owned()),
            file_product_name: Some("Microsoft Windows Operating System".to_owned()),
            signer: Some("Microsoft Windows".to_owned()),
            is_valid_certificate: Some(true),
            determination_type: "Clean".to_owned(),
            determination_value: String::new(),
        },
    ]
}

fn host_stats(host: &str, prevalence: u64, first: &str, last: &str) -> HostStats {
    HostStats {
        host: host.to_owned(),
        org_prevalence: prevalence.to_string(),
        org_first_seen: Some(first.to_owned()),
        org_last_seen: Some(last.to_owned()),
    }
}

fn ip_stats(ip: &str, prevalence: u64, first: &str, last: &str) -> IpStats {
    IpStats {
        ip_address: ip.to_owned(),
        org_prevalence: prevalence.to_string(),
        org_first_seen: Some(first.to_owned()),
        org_last_seen: Some(last.to_owned()),
    }
}

/// The current time as Defender writes it: `2026-11-24T08:15:00.1234567Z`.
pub(crate) fn now() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Whole microseconds: what the database keeps of a time.
    timestamp(since_epoch.as_secs(), since_epoch.subsec_micros() * 10)
}

/// `seconds` after the epoch and `ticks` of 100 ns, as Defender writes a
/// time.
fn timestamp(seconds: u64, ticks: u32) -> String {
    let (year, month, day) = civil_date(seconds / 86_400);
    let in_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:07}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60,
        ticks
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (the
/// well-known days-to-civil conversion, on 400-year eras).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468; // days since 0000-03-01
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // March is 0
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_781), (2026, 11, 24));
    }
}
