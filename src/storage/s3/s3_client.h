// S3Client: the wire client for S3 and S3-compatible servers, over libcurl with SigV4 signing.
//
// One method per S3 API call; each makes exactly ONE HTTP request and never retries — retries,
// backoff and deadlines belong to storage/retrying_store.h. Errors are mapped through
// common/error_map (HTTP status + S3 <Code>) with the object key as subject.
//
// Requests are signed by libcurl (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3"). As libcurl 7.88 needs,
// this client sets x-amz-content-sha256 itself (hex SHA-256 of the body), passes query parameters
// sorted and AWS-encoded (valueless ones as "uploads="), URI-encodes keys itself and leaves
// X-Amz-Date to libcurl. Each request signs with one snapshot of a CredentialsProvider
// (storage/s3/credentials.h: config keys, environment, AWS profile, web identity or instance
// metadata, refreshed before they expire); temporary credentials add x-amz-security-token.
//
// Upload options (storage.s3.payload_signing, sse, sse_kms_key_id, storage_class):
//  - Uploads (PutObject, UploadPart) send x-amz-content-sha256: UNSIGNED-PAYLOAD instead of the
//    body's SHA-256 when payload_signing is never, or auto over https; libcurl signs the header's
//    value as it is, so the server checks the rest of the request as usual. Other requests (small
//    bodies) keep the hash.
//  - PutObject and CreateMultipartUpload carry x-amz-server-side-encryption (and the KMS key id)
//    when sse is set, and x-amz-storage-class when the caller asks for it (S3Store decides per
//    key); UploadPart never does (S3 takes them from the CreateMultipartUpload).
//  - A refusal of those headers is a Permanent error naming storage.s3.sse / storage_class
//    (common/error_map ClassifyS3UploadOptionRefusal), not a retried one.
//  - storage.s3.object_lock: PutObject and CreateMultipartUpload of the objects the caller asks
//    for carry x-amz-object-lock-mode and x-amz-object-lock-retain-until-date (now + retention,
//    rounded up to the second); PutObject and UploadPart of those then carry Content-MD5, which S3
//    requires with Object Lock. None of those names is a prefix of another x-amz-* header sent,
//    so libcurl's ordering of the signed headers is right for them (see below). A 400 answer to
//    a locked upload (e.g. a bucket without Object Lock: "InvalidRequest") is a Permanent error
//    naming storage.s3.object_lock.
//  - libcurl before 8.10.0 orders x-amz-server-side-encryption-aws-kms-key-id before
//    x-amz-server-side-encryption in the signature (curl PR 14370), so S3 would answer such a
//    request 403 SignatureDoesNotMatch: requests that carry the KMS key id are signed by this
//    client instead (storage/s3/sigv4.h; Host and X-Amz-Date set here), whatever the libcurl.
//
// Connections are reused: the client keeps a pool of curl easy handles (each with its own
// connection cache); a request borrows one for its duration.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "storage/object_store.h"
#include "storage/s3/credentials.h"

namespace kb::storage::s3 {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class S3Client {
 public:
  // Validates the endpoint (InvalidArgument naming storage.s3.endpoint if malformed) and finds the
  // credentials with MakeDefaultCredentialsProvider (its errors are returned as they are), in the
  // process environment, or in `world`.
  static Result<std::unique_ptr<S3Client>> Make(const S3StoreConfig& cfg);
  static Result<std::unique_ptr<S3Client>> Make(const S3StoreConfig& cfg,
                                                const CredentialsEnvironment& world);
  ~S3Client();

  // The body is `parts` concatenated (sent as they are, never copied together).
  // `storage_class`: send storage.s3.storage_class (when set) with this object. `object_lock`:
  // lock it per storage.s3.object_lock (when set): the mode, the retain-until date (now + the
  // retention) and the Content-MD5 S3 requires with them.
  Status PutObject(const std::string& key, std::span<const std::string_view> parts,
                   bool storage_class = false, bool object_lock = false);
  // Whole object, or [first, last] inclusive when `range` is given (last UINT64_MAX: to the end).
  Result<std::string> GetObject(const std::string& key,
                                std::optional<std::pair<uint64_t, uint64_t>> range = {});
  Result<uint64_t> HeadObject(const std::string& key);
  Result<ListPage> ListObjectsV2(const std::string& prefix, const std::string& token,
                                 size_t max_keys);
  // At most 1000 keys; per-key errors are reported (first one) as a failure.
  Status DeleteObjects(const std::vector<std::string>& keys);

  Result<std::string> CreateMultipartUpload(const std::string& key, bool storage_class = false,
                                            bool object_lock = false);
  // Returns the part's ETag. `object_lock`: the upload was created with a lock, so the part
  // carries Content-MD5 (S3 requires it then).
  Result<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                 int part_number, std::span<const std::string_view> parts,
                                 bool object_lock = false);
  Status CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                 const std::vector<std::string>& etags);
  Status AbortMultipartUpload(const std::string& key, const std::string& upload_id);

  std::string Describe() const { return "s3://" + cfg_.bucket; }
  // Whether uploads are sent with x-amz-content-sha256: UNSIGNED-PAYLOAD.
  bool unsigned_payload() const { return unsigned_payload_; }

  // The x-amz-storage-class of a HEAD answer ("" when absent) and its
  // x-amz-server-side-encryption, for checking what a server recorded. Public for tests.
  struct ObjectHeaders {
    uint64_t size = 0;
    std::string storage_class;
    std::string sse;
    std::string sse_kms_key_id;
    // x-amz-object-lock-mode and -retain-until-date (S3 sends them to callers allowed
    // s3:GetObjectRetention); lock_retain_until_ms is nullopt when absent.
    std::string lock_mode;
    std::optional<int64_t> lock_retain_until_ms;
    bool legal_hold = false;  // x-amz-object-lock-legal-hold: ON
    std::string version_id;   // x-amz-version-id ("" when the bucket is not versioned)
  };
  Result<ObjectHeaders> HeadObjectHeaders(const std::string& key);

  // The object's lock (HeadObjectHeaders), nullopt when it carries none. A retain-until date
  // S3 sends but this client cannot parse is Permanent naming the key (never read as unlocked).
  Result<std::optional<ObjectLock>> GetObjectLock(const std::string& key);

  // The server's clock: the Date header (RFC 1123, whole seconds) of a HEAD of the bucket
  // (HeadBucket, allowed by s3:ListBucket), in Unix ms; Permanent naming the bucket when the answer
  // has no Date header it can read.
  Result<int64_t> ServerTimeMs();

  // CreateBucket (for tests: the test server's buckets), with Object Lock enabled when asked
  // (x-amz-bucket-object-lock-enabled: true; S3 then turns versioning on too).
  Status CreateBucket(bool object_lock);

  // The request URL for `key` (empty: the bucket) with `query` (raw names and values, sorted and
  // AWS-encoded here): path style https://endpoint/bucket/key or virtual-host style
  // https://bucket.endpoint/key. Public for tests.
  std::string UrlFor(const std::string& key,
                     const std::vector<std::pair<std::string, std::string>>& query) const;

 private:
  struct Request {
    const char* method = "GET";
    std::string key;  // raw object key; empty for bucket-level requests
    std::vector<std::pair<std::string, std::string>> query;  // raw names/values
    std::vector<std::string> headers;                        // "Name: value"
    std::string_view body;                                   // POST body
    std::span<const std::string_view> upload;                // PUT body, in parts
    bool head = false;
    // PutObject / CreateMultipartUpload: the SSE and storage class headers sent ("" = none), so
    // that a refusal of them names the config key.
    std::string sse;
    std::string storage_class;
    bool object_lock = false;  // carries the object lock headers (a refusal names the config key)
  };
  // Adds the object lock headers (mode, retain-until date from now) to `req`.
  void AddObjectLock(Request* req) const;
  // Adds the SSE headers and, with `storage_class`, the storage class header to `req`.
  void AddUploadOptions(Request* req, bool storage_class) const;
  // The x-amz-content-sha256 value of `req`.
  std::string PayloadHash(const Request& req) const;

  S3Client(S3StoreConfig cfg, std::string scheme_host,
           std::shared_ptr<CredentialsProvider> credentials);
  // Sends one request. Non-2xx answers become a Status (subject = key or bucket).
  Result<HttpResponse> Send(const Request& req);
  CURL* Acquire();
  void Release(CURL* h);
  std::string Url(const Request& req) const;
  // The URI-encoded path of `key` and the sorted, encoded query string (UrlFor's two parts).
  std::string PathFor(const std::string& key) const;
  static std::string QueryString(const std::vector<std::pair<std::string, std::string>>& query);
  // Whether `req` is signed by SignV4 rather than by libcurl (see the class comment).
  static bool SignedHere(const Request& req);

  S3StoreConfig cfg_;
  std::string base_url_;  // scheme://host[:port] (virtual-host style includes the bucket)
  std::string sigv4_;     // "aws:amz:<region>:s3"
  const std::shared_ptr<CredentialsProvider> credentials_;
  bool unsigned_payload_ = false;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace kb::storage::s3
