//! The typed values through the public API: `FromStr`, serde_json and an
//! axum router.

use std::sync::atomic::{AtomicUsize, Ordering};

use defender_errors::{
    ApiError, Batch, DomainName, ErrorCode, FileHash, HashKind, HttpUrl, IpAddress, Md5Hash,
    Sha1Hash, Sha256Hash,
};
use serde::{Deserialize, Deserializer};

const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";
const SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
const SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Asserts that `error` has `code` and exactly `message`.
#[track_caller]
fn assert_error(error: &ApiError, code: ErrorCode, message: &str) {
    assert_eq!(error.code(), code, "{error:?}");
    assert_eq!(error.message(), message, "{error:?}");
}

/// Asserts that `input` fails both `FromStr` and serde_json (as a JSON
/// string) with `code` and `message`.
#[track_caller]
fn assert_rejected<T>(input: &str, code: ErrorCode, message: &str)
where
    T: std::str::FromStr<Err = ApiError> + for<'de> Deserialize<'de> + std::fmt::Debug,
{
    let error = input.parse::<T>().unwrap_err();
    assert_error(&error, code, message);
    let json = serde_json::to_string(input).unwrap();
    let error = serde_json::from_str::<T>(&json).unwrap_err();
    assert!(
        error.to_string().starts_with(message),
        "{error} does not start with {message}"
    );
    // Owned strings take another path in the visitor.
    let value = serde_json::Value::String(input.to_owned());
    let error = serde_json::from_value::<T>(value).unwrap_err();
    assert_eq!(error.to_string(), message);
}

/// Parses `input` both ways and checks they agree.
#[track_caller]
fn accepted<T>(input: &str) -> T
where
    T: std::str::FromStr<Err = ApiError> + for<'de> Deserialize<'de> + std::fmt::Debug + PartialEq,
{
    let parsed = input
        .parse::<T>()
        .unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let json = serde_json::to_string(input).unwrap();
    let deserialized: T = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, deserialized);
    let owned: T = serde_json::from_value(serde_json::Value::String(input.to_owned())).unwrap();
    assert_eq!(parsed, owned);
    parsed
}

// ---------------------------------------------------------------- hashes

#[test]
fn hashes_of_the_three_lengths_are_accepted_with_their_kind() {
    assert_eq!(accepted::<FileHash>(MD5).kind(), HashKind::Md5);
    assert_eq!(accepted::<FileHash>(SHA1).kind(), HashKind::Sha1);
    assert_eq!(accepted::<FileHash>(SHA256).kind(), HashKind::Sha256);
    assert_eq!(accepted::<FileHash>(SHA1).as_str(), SHA1);
}

#[test]
fn upper_case_hashes_are_accepted_and_kept_in_lower_case() {
    let upper = SHA256.to_ascii_uppercase();
    let hash = accepted::<FileHash>(&upper);
    assert_eq!(hash.as_str(), SHA256);
    assert_eq!(hash.to_string(), SHA256);
    assert_eq!(hash, accepted::<FileHash>(SHA256));
    assert_eq!(
        serde_json::to_string(&hash).unwrap(),
        format!("\"{SHA256}\"")
    );
    let mixed = "Da39A3ee5E6b4B0d3255BFef95601890aFd80709";
    assert_eq!(accepted::<FileHash>(mixed).as_str(), SHA1);
}

#[test]
fn hashes_of_other_lengths_are_invalid() {
    for len in [0, 1, 31, 33, 39, 41, 63, 65, 128] {
        let input = "a".repeat(len);
        assert_rejected::<FileHash>(
            &input,
            ErrorCode::InvalidHashValue,
            &format!("Hash value {input} is invalid."),
        );
    }
}

#[test]
fn hashes_with_non_hex_characters_are_invalid() {
    let cases = [
        "xyz".to_owned(),
        format!("{}g", &MD5[..31]),
        format!(" {}", &MD5[..31]),
        format!("{MD5} "),
        format!("0x{}", &MD5[..30]),
        format!("{}-", &SHA1[..39]),
        format!("{}é", &SHA256[..62]),
    ];
    for input in &cases {
        assert_rejected::<FileHash>(
            input,
            ErrorCode::InvalidHashValue,
            &format!("Hash value {input} is invalid."),
        );
    }
    assert_error(
        &"xyz".parse::<FileHash>().unwrap_err(),
        ErrorCode::InvalidHashValue,
        "Hash value xyz is invalid.",
    );
    assert_eq!(
        "xyz".parse::<FileHash>().unwrap_err().status(),
        http::StatusCode::BAD_REQUEST
    );
}

#[test]
fn an_echoed_hash_is_cut_and_escaped() {
    let long = "z".repeat(10_000);
    let error = long.parse::<FileHash>().unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidHashValue);
    assert!(error.message().len() < 400);
    let error = "a\nb".parse::<FileHash>().unwrap_err();
    assert_eq!(error.message(), "Hash value a\\nb is invalid.");
}

#[test]
fn fixed_kind_hashes_accept_only_their_length() {
    assert_eq!(accepted::<Md5Hash>(MD5).as_str(), MD5);
    assert_eq!(
        accepted::<Sha1Hash>(&SHA1.to_ascii_uppercase()).as_str(),
        SHA1
    );
    assert_eq!(accepted::<Sha256Hash>(SHA256).to_string(), SHA256);
    for wrong in [MD5, SHA256, "xyz"] {
        assert_rejected::<Sha1Hash>(
            wrong,
            ErrorCode::InvalidHashValue,
            &format!("Hash value {wrong} is invalid."),
        );
    }
    for wrong in [SHA1, SHA256] {
        assert_rejected::<Md5Hash>(
            wrong,
            ErrorCode::InvalidHashValue,
            &format!("Hash value {wrong} is invalid."),
        );
    }
    for wrong in [MD5, SHA1] {
        assert_rejected::<Sha256Hash>(
            wrong,
            ErrorCode::InvalidHashValue,
            &format!("Hash value {wrong} is invalid."),
        );
    }
}

#[test]
fn fixed_kind_hashes_convert_to_and_from_file_hash() {
    let sha1: Sha1Hash = SHA1.parse().unwrap();
    let any = FileHash::from(sha1.clone());
    assert_eq!(any.kind(), HashKind::Sha1);
    assert_eq!(Sha1Hash::try_from(any).unwrap(), sha1);
    let any: FileHash = SHA256.parse().unwrap();
    let error = Sha1Hash::try_from(any).unwrap_err();
    assert_error(
        &error,
        ErrorCode::InvalidHashValue,
        &format!("Hash value {SHA256} is invalid."),
    );
}

#[test]
fn a_sha1_body_field_rejects_a_sha256_value() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        #[serde(rename = "Sha1")]
        sha1: Sha1Hash,
    }
    let ok: Body = serde_json::from_str(&format!(r#"{{"Sha1": "{SHA1}"}}"#)).unwrap();
    assert_eq!(ok.sha1.as_str(), SHA1);
    let error = serde_json::from_str::<Body>(&format!(r#"{{"Sha1": "{SHA256}"}}"#)).unwrap_err();
    assert!(error
        .to_string()
        .starts_with(&format!("Hash value {SHA256} is invalid.")));
}

#[test]
fn a_non_string_hash_is_a_plain_type_error() {
    let error = serde_json::from_str::<FileHash>("5").unwrap_err();
    assert!(error.is_data());
    assert!(
        error.to_string().starts_with("invalid type: integer `5`"),
        "{error}"
    );
    let error = serde_json::from_str::<FileHash>("null").unwrap_err();
    assert!(
        error.to_string().starts_with("invalid type: null"),
        "{error}"
    );
}

#[test]
fn hash_kinds_know_their_lengths_and_names() {
    for kind in [HashKind::Md5, HashKind::Sha1, HashKind::Sha256] {
        assert_eq!(HashKind::from_len(kind.hex_len()), Some(kind));
    }
    assert_eq!(HashKind::from_len(41), None);
    assert_eq!(HashKind::Sha1.to_string(), "SHA-1");
    assert_eq!(HashKind::Sha256.as_str(), "SHA-256");
}

// ---------------------------------------------------------------- domains

/// How a message shows the short inputs of these tests: line feeds and tabs
/// escaped, everything else as it is. Written out here rather than asked of
/// the crate's own escaping, which is under test.
fn escaped(input: &str) -> String {
    assert!(input.chars().count() <= 256, "a short input");
    assert!(
        input
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t'),
        "only line feeds and tabs among the control characters"
    );
    input.replace('\n', "\\n").replace('\t', "\\t")
}

#[track_caller]
fn assert_bad_domain(input: &str) {
    assert_rejected::<DomainName>(
        input,
        ErrorCode::InvalidDomainName,
        &format!("Domain name {} is invalid.", escaped(input)),
    );
}

#[test]
fn ordinary_domain_names_are_accepted() {
    for input in [
        "example.com",
        "www.example.com",
        "a.b.c.d.e.f",
        "localhost",
        "a",
        "x1",
        "1x.example",
        "123.example.com",
        "my-host.example-domain.org",
        "a-b-c.d--e.com",
        "r3---sn-abc.googlevideo.com",
    ] {
        assert_eq!(accepted::<DomainName>(input).as_str(), input);
    }
}

#[test]
fn domain_names_are_kept_in_lower_case_without_the_trailing_dot() {
    let name = accepted::<DomainName>("WWW.Example.COM.");
    assert_eq!(name.as_str(), "www.example.com");
    assert_eq!(name.to_string(), "www.example.com");
    assert_eq!(name, accepted::<DomainName>("www.example.com"));
    assert_eq!(serde_json::to_string(&name).unwrap(), "\"www.example.com\"");
    assert_eq!(name.labels().collect::<Vec<_>>(), ["www", "example", "com"]);
    assert_eq!(name.into_string(), "www.example.com");
}

#[test]
fn internationalized_names_are_accepted_as_a_labels_only() {
    assert_eq!(
        accepted::<DomainName>("xn--bcher-kva.example").as_str(),
        "xn--bcher-kva.example"
    );
    assert_eq!(
        accepted::<DomainName>("XN--80AK6AA92E.com").as_str(),
        "xn--80ak6aa92e.com"
    );
    assert_bad_domain("bücher.example");
    assert_bad_domain("пример.com");
    assert_bad_domain("xn--.example");
}

#[test]
fn labels_of_63_characters_are_accepted_and_64_rejected() {
    let label63 = "a".repeat(63);
    let label64 = "a".repeat(64);
    accepted::<DomainName>(&format!("{label63}.com"));
    accepted::<DomainName>(&label63);
    assert_bad_domain(&format!("{label64}.com"));
    assert_bad_domain(&format!("www.{label64}"));
    assert_bad_domain(&label64);
}

/// A name of exactly `len` characters: labels of 63 joined by dots, then a
/// shorter last label.
fn name_of_len(len: usize) -> String {
    let mut name = String::new();
    while len - name.len() > 64 {
        name.push_str(&"a".repeat(63));
        name.push('.');
    }
    name.push_str(&"b".repeat(len - name.len()));
    assert_eq!(name.len(), len);
    name
}

#[test]
fn names_of_253_characters_are_accepted_and_254_rejected() {
    let name253 = name_of_len(253);
    let name254 = name_of_len(254);
    accepted::<DomainName>(&name253);
    // The trailing dot is not counted.
    assert_eq!(
        accepted::<DomainName>(&format!("{name253}.")).as_str(),
        name253
    );
    assert_bad_domain(&name254);
    assert_bad_domain(&format!("{name254}."));
}

#[test]
fn a_single_trailing_dot_is_allowed_but_not_more() {
    assert_eq!(
        accepted::<DomainName>("example.com.").as_str(),
        "example.com"
    );
    assert_bad_domain("example.com..");
    assert_bad_domain(".");
    assert_bad_domain("..");
    assert_bad_domain(".example.com");
}

#[test]
fn hyphens_at_a_labels_ends_are_rejected() {
    for input in [
        "-example.com",
        "example-.com",
        "www.-example.com",
        "www.example-.com",
        "example.com-",
        "example.-com",
        "-",
    ] {
        assert_bad_domain(input);
    }
}

#[test]
fn other_malformed_names_are_rejected() {
    for input in [
        "",
        "under_score.example.com",
        "_dmarc.example.com",
        "exa mple.com",
        " example.com",
        "example.com ",
        "example..com",
        "example.com/path",
        "http://example.com",
        "user@example.com",
        "example.com:80",
        "*.example.com",
        "1.2.3.4",
        "example.123",
        "a\nb.com",
    ] {
        assert_bad_domain(input);
    }
    assert_error(
        &"a\nb.com".parse::<DomainName>().unwrap_err(),
        ErrorCode::InvalidDomainName,
        "Domain name a\\nb.com is invalid.",
    );
}

// ---------------------------------------------------------------- IP addresses

#[test]
fn ipv4_and_ipv6_addresses_are_accepted() {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    let ip = accepted::<IpAddress>("1.2.3.4");
    assert_eq!(ip.get(), IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)));
    assert!(ip.is_ipv4() && !ip.is_ipv6());
    accepted::<IpAddress>("0.0.0.0");
    accepted::<IpAddress>("255.255.255.255");

    let ip = accepted::<IpAddress>("::1");
    assert_eq!(ip.get(), IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert!(ip.is_ipv6());
    assert_eq!(accepted::<IpAddress>("fe80::1").to_string(), "fe80::1");
    let mapped = accepted::<IpAddress>("::ffff:1.2.3.4");
    assert!(mapped.is_ipv6());
    assert_eq!(mapped.to_string(), "::ffff:1.2.3.4");
    assert_eq!(accepted::<IpAddress>("::").to_string(), "::");
    assert_eq!(
        accepted::<IpAddress>("2001:DB8:0:0:0:0:0:1").to_string(),
        "2001:db8::1"
    );
    assert_eq!(serde_json::to_string(&ip).unwrap(), "\"::1\"");
    assert_eq!(
        IpAddress::from(Ipv4Addr::LOCALHOST).to_string(),
        "127.0.0.1"
    );
}

#[test]
fn malformed_ip_addresses_are_rejected() {
    for input in [
        "",
        "01.2.3.4",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "1.2.3.4 ",
        " 1.2.3.4",
        "1.2.3.4:80",
        "[::1]",
        "fe80::1%eth0",
        ":::1",
        "1::2::3",
        "example.com",
        "0x7f.0.0.1",
        "12345::",
    ] {
        assert_rejected::<IpAddress>(
            input,
            ErrorCode::InvalidIpAddress,
            &format!("IP address {input} is invalid."),
        );
    }
    assert_error(
        &"01.2.3.4".parse::<IpAddress>().unwrap_err(),
        ErrorCode::InvalidIpAddress,
        "IP address 01.2.3.4 is invalid.",
    );
}

#[test]
fn a_non_string_ip_address_is_a_plain_type_error() {
    let error = serde_json::from_str::<IpAddress>("16909060").unwrap_err();
    assert!(
        error.to_string().starts_with("invalid type: integer"),
        "{error}"
    );
}

// ---------------------------------------------------------------- URLs

#[test]
fn http_and_https_urls_are_accepted_in_canonical_form() {
    for (input, canonical) in [
        ("http://example.com", "http://example.com/"),
        ("https://example.com/", "https://example.com/"),
        (
            "HTTPS://Example.COM:8443/a?b=c#d",
            "https://example.com:8443/a?b=c#d",
        ),
        ("http://1.2.3.4/x", "http://1.2.3.4/x"),
        ("http://[::1]:8080/", "http://[::1]:8080/"),
        ("http://localhost", "http://localhost/"),
        (
            "https://user:pw@example.com/p",
            "https://user:pw@example.com/p",
        ),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
        ("http://example.com/a%20b", "http://example.com/a%20b"),
        ("http://example.com\\a", "http://example.com/a"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://example.com/ä", "http://example.com/%C3%A4"),
    ] {
        let url = accepted::<HttpUrl>(input);
        assert_eq!(url.as_str(), canonical);
        assert_eq!(url.to_string(), canonical);
        assert_eq!(
            serde_json::to_string(&url).unwrap(),
            format!("\"{canonical}\"")
        );
    }
    let url: HttpUrl = "https://Example.com:8443/a".parse().unwrap();
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), "example.com");
    assert_eq!(url.url().port(), Some(8443));
    assert_eq!(url::Url::from(url).path(), "/a");
}

#[test]
fn urls_of_other_schemes_relative_or_without_host_are_rejected() {
    for input in [
        "",
        "ftp://x",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "mailto:a@example.com",
        "javascript:alert(1)",
        "data:text/plain,hi",
        "ws://example.com",
        "/a/b",
        "a/b",
        "example.com",
        "//example.com/a",
        "http://",
        "https://",
        "http:///a",
        "http://?q",
        "http://#f",
        "http:example.com",
        "http:/example.com",
        "http:\\\\example.com",
        " http://example.com",
        "http://example.com ",
        "http://exa\nmple.com",
        "http://exa\tmple.com",
        "http://example.com:99999",
        "http://[::1/",
        "http://exa mple.com",
        "http://example.com/a b",
    ] {
        assert_rejected::<HttpUrl>(
            input,
            ErrorCode::InvalidUrl,
            &format!("URL {} is invalid.", escaped(input)),
        );
    }
    assert_error(
        &"ftp://x".parse::<HttpUrl>().unwrap_err(),
        ErrorCode::InvalidUrl,
        "URL ftp://x is invalid.",
    );
}

#[test]
fn http_urls_convert_from_parsed_urls() {
    let url = url::Url::parse("https://example.com/a").unwrap();
    assert_eq!(
        HttpUrl::try_from(url).unwrap().as_str(),
        "https://example.com/a"
    );
    let url = url::Url::parse("ftp://example.com/a").unwrap();
    assert_error(
        &HttpUrl::try_from(url).unwrap_err(),
        ErrorCode::InvalidUrl,
        "URL ftp://example.com/a is invalid.",
    );
}

// ---------------------------------------------------------------- batches

#[test]
fn batches_up_to_the_limit_are_accepted() {
    let empty: Batch<u32, 3> = serde_json::from_str("[]").unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty, Batch::default());
    let full: Batch<u32, 3> = serde_json::from_str("[1, 2, 3]").unwrap();
    assert_eq!(full.as_slice(), [1, 2, 3]);
    assert_eq!(full.iter().copied().sum::<u32>(), 6);
    assert_eq!((&full).into_iter().count(), 3);
    assert_eq!(full.clone().into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(serde_json::to_string(&full).unwrap(), "[1,2,3]");
    assert_eq!(Batch::<u32, 3>::MAX, 3);
    assert_eq!(Vec::from(full), [1, 2, 3]);
}

#[test]
fn a_batch_one_over_the_limit_names_both_numbers() {
    let input = format!("[{}]", vec!["1"; 501].join(","));
    let error = serde_json::from_str::<Batch<u32, 500>>(&input).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Maximum batch size exceeded. Received: 501, allowed: 500."),
        "{error}"
    );
    let exact = format!("[{}]", vec!["1"; 500].join(","));
    assert_eq!(
        serde_json::from_str::<Batch<u32, 500>>(&exact)
            .unwrap()
            .len(),
        500
    );
}

#[test]
fn batches_are_checked_when_built_from_vectors() {
    assert_eq!(Batch::<u8, 2>::new(vec![1, 2]).unwrap().len(), 2);
    assert_error(
        &Batch::<u8, 2>::new(vec![1, 2, 3]).unwrap_err(),
        ErrorCode::MaximumBatchSizeExceeded,
        "Maximum batch size exceeded. Received: 3, allowed: 2.",
    );
    let error = Batch::<u8, 2>::try_from(vec![0; 10]).unwrap_err();
    assert_eq!(
        error.message(),
        "Maximum batch size exceeded. Received: 10, allowed: 2."
    );
}

#[test]
fn a_batch_of_limit_zero_accepts_only_the_empty_array() {
    assert!(serde_json::from_str::<Batch<u32, 0>>("[]")
        .unwrap()
        .is_empty());
    let error = serde_json::from_str::<Batch<u32, 0>>("[1]").unwrap_err();
    assert!(error
        .to_string()
        .starts_with("Maximum batch size exceeded. Received: 1, allowed: 0."));
}

#[test]
fn a_non_array_batch_is_a_plain_type_error() {
    let error = serde_json::from_str::<Batch<u32, 3>>(r#"{"a": 1}"#).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("invalid type: map, expected an array of at most 3 elements"),
        "{error}"
    );
    let error = serde_json::from_str::<Batch<u32, 3>>("\"1,2\"").unwrap_err();
    assert!(
        error.to_string().starts_with("invalid type: string"),
        "{error}"
    );
}

#[test]
fn batch_elements_are_checked_by_their_own_type() {
    let input = format!(r#"["{MD5}", "{SHA1}", "nope"]"#);
    let error = serde_json::from_str::<Batch<FileHash, 500>>(&input).unwrap_err();
    assert!(
        error.to_string().starts_with("Hash value nope is invalid."),
        "{error}"
    );
    let input = format!(r#"["{MD5}", "{SHA1}", "{SHA256}"]"#);
    let batch: Batch<FileHash, 3> = serde_json::from_str(&input).unwrap();
    let kinds: Vec<_> = batch.iter().map(FileHash::kind).collect();
    assert_eq!(kinds, [HashKind::Md5, HashKind::Sha1, HashKind::Sha256]);
}

/// Declares an element type that counts how often it is deserialized, in
/// its own counter so tests running in parallel do not disturb each other.
macro_rules! counted {
    ($name:ident, $counter:ident) => {
        static $counter: AtomicUsize = AtomicUsize::new(0);

        #[derive(Debug)]
        struct $name;

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                u32::deserialize(deserializer)?;
                $counter.fetch_add(1, Ordering::SeqCst);
                Ok($name)
            }
        }
    };
}

#[test]
fn elements_past_the_limit_are_counted_not_deserialized() {
    counted!(Counted, COUNT);
    let input = format!("[{}]", vec!["7"; 1000].join(","));
    let error = serde_json::from_str::<Batch<Counted, 10>>(&input).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Maximum batch size exceeded. Received: 1000, allowed: 10."),
        "{error}"
    );
    assert_eq!(COUNT.load(Ordering::SeqCst), 10);
}

#[test]
fn elements_past_the_limit_may_be_of_any_shape() {
    // Only `T`s are checked; the excess is skipped whatever it holds.
    let input = r#"[1, 2, "three", {"four": [4]}, null]"#;
    let error = serde_json::from_str::<Batch<u32, 2>>(input).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Maximum batch size exceeded. Received: 5, allowed: 2."),
        "{error}"
    );
}

#[test]
fn a_known_length_over_the_limit_is_rejected_before_any_element() {
    use serde::de::value::{Error, SeqDeserializer};

    counted!(Counted, COUNT);
    let deserializer = SeqDeserializer::<_, Error>::new(vec![1u32; 20].into_iter());
    let error = Batch::<Counted, 5>::deserialize(deserializer).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Maximum batch size exceeded. Received: 20, allowed: 5."
    );
    assert_eq!(COUNT.load(Ordering::SeqCst), 0);

    let deserializer = SeqDeserializer::<_, Error>::new(vec![1u32; 5].into_iter());
    assert_eq!(
        Batch::<Counted, 5>::deserialize(deserializer)
            .unwrap()
            .len(),
        5
    );
    assert_eq!(COUNT.load(Ordering::SeqCst), 5);
}

// ---------------------------------------------------------------- bodies

#[test]
fn values_work_as_body_fields() {
    #[derive(Debug, Deserialize, serde::Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(rename = "Sha256")]
        sha256: FileHash,
        #[serde(rename = "Domain")]
        domain: DomainName,
        #[serde(rename = "Ip")]
        ip: Option<IpAddress>,
        #[serde(rename = "Url")]
        url: HttpUrl,
        #[serde(rename = "Hashes")]
        hashes: Batch<Sha1Hash, 2>,
    }
    let json = format!(
        r#"{{"Sha256": "{SHA256}", "Domain": "Example.com", "Ip": "10.0.0.1",
            "Url": "https://example.com", "Hashes": ["{SHA1}"]}}"#
    );
    let body: Body = serde_json::from_str(&json).unwrap();
    assert_eq!(body.domain.as_str(), "example.com");
    assert_eq!(body.ip.unwrap().to_string(), "10.0.0.1");
    let round_trip: Body = serde_json::from_str(&serde_json::to_string(&body).unwrap()).unwrap();
    assert_eq!(round_trip, body);

    let bad = json.replace("Example.com", "bad_domain.com");
    let error = serde_json::from_str::<Body>(&bad).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("Domain name bad_domain.com is invalid."));
}

// ---------------------------------------------------------------- axum

mod router {
    use axum::body::Body;
    use axum::extract::{Path, Query};
    use axum::routing::get;
    use axum::Router;
    use defender_errors::{DefenderErrorLayer, DomainName, FileHash};
    use http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use serde::Deserialize;
    use tower::ServiceExt;

    use super::{SHA1, SHA256};

    #[derive(Deserialize)]
    struct Lookup {
        domain: DomainName,
    }

    fn app() -> Router {
        Router::new()
            .route(
                "/files/{hash}",
                get(|Path(hash): Path<FileHash>| async move { hash.to_string() }),
            )
            .route(
                "/domains",
                get(|Query(lookup): Query<Lookup>| async move { lookup.domain.to_string() }),
            )
            .layer(DefenderErrorLayer::new())
    }

    async fn get_text(uri: &str) -> (StatusCode, String) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_valid_hash_is_extracted_from_the_path() {
        let (status, body) = get_text(&format!("/files/{SHA1}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, SHA1);
        let (status, body) = get_text(&format!("/files/{}", SHA256.to_uppercase())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, SHA256);
    }

    #[tokio::test]
    async fn a_valid_domain_is_extracted_from_the_query() {
        let (status, body) = get_text("/domains?domain=WWW.Example.com.").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "www.example.com");
    }

    #[tokio::test]
    async fn an_invalid_hash_in_the_path_is_an_error_response() {
        // Which code it carries is the extractors' business; here only that
        // the request is refused.
        let (status, _) = get_text("/files/xyz").await;
        assert!(status.is_client_error(), "{status}");
    }
}
