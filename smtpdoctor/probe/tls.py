"""TLS contexts and reading a server certificate for the failure report."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(ca_file: Path | None, insecure: bool) -> ssl.SSLContext:
    """System trust store (SSL_CERT_FILE honoured by OpenSSL) plus an optional extra CA file."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# OpenSSL X509_V_ERR_* codes (include/openssl/x509_vfy.h)
EXPIRED = {9, 10}  # CERT_NOT_YET_VALID, CERT_HAS_EXPIRED
HOSTNAME = {62, 64}  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH


def cert_code(error: ssl.SSLCertVerificationError) -> str:
    if error.verify_code in EXPIRED:
        return "tls.cert_expired"
    if error.verify_code in HOSTNAME:
        return "tls.cert_hostname_mismatch"
    return "tls.cert_untrusted"


PLAINTEXT_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL",
                     "HTTP_REQUEST", "UNEXPECTED_RECORD", "BAD_RECORD_TYPE", "record layer failure", "wrong version number")


def looks_like_plaintext_peer(error: ssl.SSLError) -> bool:
    text = f"{error.reason or ''} {error}"
    return any(reason.lower() in text.lower() for reason in PLAINTEXT_REASONS)


def describe_certificate(der: bytes) -> tuple[str, list[str]]:
    """Subject, issuer, SANs and validity of a DER certificate, and its DNS names."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)

    def cn(name: x509.Name) -> str:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return f"CN={values[0].value}" if values else name.rfc4514_string()

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    start = cert.not_valid_before_utc.strftime("%Y-%m-%d")
    end = cert.not_valid_after_utc.strftime("%Y-%m-%d")
    text = f"subject {cn(cert.subject)}; issuer {cn(cert.issuer)}; SAN: {', '.join(names) or '-'}; valid {start} → {end}"
    return text, names
