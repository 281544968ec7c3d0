// FedStore on SQLite (sexp/fed/store.h): one connection behind a mutex,
// WAL with synchronous=FULL, each call one transaction (BEGIN IMMEDIATE for
// writes, so that a writer takes the lock before it reads what it changes:
// two processes claiming at once cannot both take a row).
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/strutil.h"
#include "sexp/fed/store.h"

namespace sexp::fed {

using ::sexp::internal::AV;

std::string_view FollowStateName(FollowState s) {
  switch (s) {
    case FollowState::kPending:
      return "pending";
    case FollowState::kAccepted:
      return "accepted";
    case FollowState::kRejected:
      return "rejected";
  }
  return "pending";
}

namespace {

constexpr int kSchemaVersion = 1;
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS outbound(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, actor TEXT NOT NULL,
  type TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbound_actor ON outbound(actor, seq);
CREATE TABLE IF NOT EXISTS deliveries(
  row INTEGER PRIMARY KEY AUTOINCREMENT, activity TEXT NOT NULL, inbox TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, next_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0, lease_owner TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '', UNIQUE(activity, inbox));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_at, row);
CREATE TABLE IF NOT EXISTS dead(
  row INTEGER PRIMARY KEY AUTOINCREMENT, activity TEXT NOT NULL, inbox TEXT NOT NULL,
  attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, died_at INTEGER NOT NULL,
  last_error TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, recipient TEXT NOT NULL,
  actor TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, verified_by TEXT NOT NULL,
  at INTEGER NOT NULL, UNIQUE(id, recipient));
CREATE TABLE IF NOT EXISTS followers(
  local TEXT NOT NULL, remote TEXT NOT NULL, inbox TEXT NOT NULL, shared_inbox TEXT NOT NULL,
  state INTEGER NOT NULL, follow_id TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY(local, remote));
CREATE TABLE IF NOT EXISTS following(
  local TEXT NOT NULL, remote TEXT NOT NULL, inbox TEXT NOT NULL, shared_inbox TEXT NOT NULL,
  state INTEGER NOT NULL, follow_id TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY(local, remote));
CREATE TABLE IF NOT EXISTS held(
  member TEXT NOT NULL, seq INTEGER NOT NULL, activity TEXT NOT NULL, body TEXT NOT NULL,
  at INTEGER NOT NULL, PRIMARY KEY(member, seq), UNIQUE(member, activity));
CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

// A prepared statement, reset for reuse; binds by position (1-based).
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, int64_t v) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) {
    if (rc_ == SQLITE_OK) {
      // An empty view may have no data pointer: SQLite would bind NULL.
      rc_ = sqlite3_bind_text64(stmt_, i, v.data() != nullptr ? v.data() : "", v.size(),
                                SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    return *this;
  }
  // One step: true when a row is there to read.
  absl::StatusOr<bool> Step() {
    if (rc_ != SQLITE_OK) return Error();
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    rc_ = rc;
    return Error();
  }
  absl::Status Run() {
    absl::StatusOr<bool> r = Step();
    return r.ok() ? absl::OkStatus() : r.status();
  }
  // Ready to run again with new bindings.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(t),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  absl::Status Error() const {
    return absl::InternalError(absl::StrCat("sqlite: ", sqlite3_errstr(rc_), ": ",
                                            sqlite3_errmsg(db_)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

class SqliteStore final : public FedStore {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  absl::Status Init(int busy_timeout_ms) {
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    if (absl::Status s = Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
    if (absl::Status s = Exec("PRAGMA synchronous=FULL"); !s.ok()) return s;
    // The schema's version, for migrations to come: a file written by a
    // newer libsexp is refused rather than misread.
    Stmt version(db_, "PRAGMA user_version");
    absl::StatusOr<bool> row = version.Step();
    if (!row.ok()) return row.status();
    if (*row && version.Int(0) > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the store's schema is version ", version.Int(0), "; this libsexp knows ",
          kSchemaVersion));
    }
    if (absl::Status s = Exec(kSchema); !s.ok()) return s;
    return Exec(absl::StrCat("PRAGMA user_version = ", kSchemaVersion).c_str());
  }

  absl::StatusOr<bool> Enqueue(const OutboundActivity& a, const std::vector<std::string>& inboxes,
                               int64_t now) override {
    return Write<bool>([&]() -> absl::StatusOr<bool> {
      Stmt ins(db_, "INSERT OR IGNORE INTO outbound(id, actor, type, body, at) VALUES(?,?,?,?,?)");
      ins.Bind(1, a.id).Bind(2, a.actor).Bind(3, a.type).Bind(4, a.body).Bind(5, now);
      if (absl::Status s = ins.Run(); !s.ok()) return s;
      if (sqlite3_changes(db_) == 0) return false;
      Stmt d(db_,
             "INSERT OR IGNORE INTO deliveries(activity, inbox, created_at, next_at) "
             "VALUES(?,?,?,?)");
      for (const std::string& inbox : inboxes) {
        d.Bind(1, a.id).Bind(2, inbox).Bind(3, now).Bind(4, now);
        if (absl::Status s = d.Run(); !s.ok()) return s;
        d.Reset();
      }
      return true;
    });
  }

  absl::StatusOr<std::vector<Delivery>> Claim(int64_t now, size_t max, int64_t lease_ms,
                                              size_t per_inbox, std::string_view owner) override {
    return Write<std::vector<Delivery>>([&]() -> absl::StatusOr<std::vector<Delivery>> {
      absl::flat_hash_map<std::string, size_t> in_flight;
      if (per_inbox != SIZE_MAX) {
        Stmt busy(db_, "SELECT inbox, COUNT(*) FROM deliveries WHERE lease_until > ? GROUP BY inbox");
        busy.Bind(1, now);
        for (;;) {
          absl::StatusOr<bool> row = busy.Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          in_flight[busy.Text(0)] = static_cast<size_t>(busy.Int(1));
        }
      }
      Stmt due(db_,
               "SELECT d.row, d.activity, o.actor, d.inbox, o.body, d.attempts, d.created_at, "
               "d.next_at, d.last_error FROM deliveries d JOIN outbound o ON o.id = d.activity "
               "WHERE d.next_at <= ? AND d.lease_until <= ? ORDER BY d.next_at, d.row");
      due.Bind(1, now).Bind(2, now);
      std::vector<Delivery> out;
      while (out.size() < max) {
        absl::StatusOr<bool> row = due.Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        std::string inbox = due.Text(3);
        size_t& taken = in_flight[inbox];
        if (taken >= per_inbox) continue;
        ++taken;
        Delivery d;
        d.row = due.Int(0);
        d.activity_id = due.Text(1);
        d.actor = due.Text(2);
        d.inbox = std::move(inbox);
        d.body = due.Text(4);
        d.attempts = static_cast<int>(due.Int(5));
        d.created_at = due.Int(6);
        d.next_at = due.Int(7);
        d.last_error = due.Text(8);
        out.push_back(std::move(d));
      }
      Stmt lease(db_, "UPDATE deliveries SET lease_until = ?, lease_owner = ? WHERE row = ?");
      for (const Delivery& d : out) {
        lease.Bind(1, now + lease_ms).Bind(2, owner).Bind(3, d.row);
        if (absl::Status s = lease.Run(); !s.ok()) return s;
        lease.Reset();
      }
      return out;
    });
  }

  absl::StatusOr<uint64_t> ReleaseLeases(std::string_view owner) override {
    return Write<uint64_t>([&]() -> absl::StatusOr<uint64_t> {
      Stmt s(db_, "UPDATE deliveries SET lease_until = 0 WHERE lease_owner = ? AND lease_until > 0");
      if (absl::Status st = s.Bind(1, owner).Run(); !st.ok()) return st;
      return static_cast<uint64_t>(sqlite3_changes(db_));
    });
  }

  absl::Status Delivered(int64_t row) override {
    return WriteStatus([&] {
      Stmt s(db_, "DELETE FROM deliveries WHERE row = ?");
      return s.Bind(1, row).Run();
    });
  }

  absl::Status Retry(int64_t row, int64_t next_at, std::string_view error) override {
    return WriteStatus([&] {
      Stmt s(db_,
             "UPDATE deliveries SET attempts = attempts + 1, next_at = ?, last_error = ?, "
             "lease_until = 0 WHERE row = ?");
      return s.Bind(1, next_at).Bind(2, error).Bind(3, row).Run();
    });
  }

  absl::Status Kill(int64_t row, int64_t now, std::string_view error) override {
    return WriteStatus([&] {
      Stmt move(db_,
                "INSERT INTO dead(activity, inbox, attempts, created_at, died_at, last_error) "
                "SELECT activity, inbox, attempts + 1, created_at, ?, ? FROM deliveries "
                "WHERE row = ?");
      if (absl::Status s = move.Bind(1, now).Bind(2, error).Bind(3, row).Run(); !s.ok()) return s;
      Stmt del(db_, "DELETE FROM deliveries WHERE row = ?");
      return del.Bind(1, row).Run();
    });
  }

  absl::StatusOr<uint64_t> Revive(std::string_view inbox, int64_t now) override {
    return Write<uint64_t>([&]() -> absl::StatusOr<uint64_t> {
      Stmt back(db_,
                "INSERT OR IGNORE INTO deliveries(activity, inbox, created_at, next_at) "
                "SELECT activity, inbox, ?, ? FROM dead WHERE ? = '' OR inbox = ?");
      if (absl::Status s = back.Bind(1, now).Bind(2, now).Bind(3, inbox).Bind(4, inbox).Run();
          !s.ok()) {
        return s;
      }
      const uint64_t n = static_cast<uint64_t>(sqlite3_changes(db_));
      Stmt del(db_, "DELETE FROM dead WHERE ? = '' OR inbox = ?");
      if (absl::Status s = del.Bind(1, inbox).Bind(2, inbox).Run(); !s.ok()) return s;
      return n;
    });
  }

  absl::StatusOr<std::vector<DeadLetter>> DeadLetters(size_t max) override {
    return Read<std::vector<DeadLetter>>([&]() -> absl::StatusOr<std::vector<DeadLetter>> {
      Stmt q(db_,
             "SELECT row, activity, inbox, attempts, created_at, died_at, last_error FROM dead "
             "ORDER BY row LIMIT ?");
      q.Bind(1, static_cast<int64_t>(std::min<size_t>(max, INT64_MAX)));
      std::vector<DeadLetter> out;
      for (;;) {
        absl::StatusOr<bool> row = q.Step();
        if (!row.ok()) return row.status();
        if (!*row) return out;
        out.push_back({q.Int(0), q.Text(1), q.Text(2), static_cast<int>(q.Int(3)), q.Int(4),
                       q.Int(5), q.Text(6)});
      }
    });
  }

  absl::StatusOr<OutboundActivity> Outbound(std::string_view id) override {
    return Read<OutboundActivity>([&]() -> absl::StatusOr<OutboundActivity> {
      Stmt q(db_, "SELECT id, actor, type, body FROM outbound WHERE id = ?");
      q.Bind(1, id);
      absl::StatusOr<bool> row = q.Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::NotFoundError(absl::StrCat("no outbound activity ", AV(id)));
      return OutboundActivity{q.Text(0), q.Text(1), q.Text(2), q.Text(3)};
    });
  }

  absl::StatusOr<std::vector<OutboundActivity>> OutboxOf(std::string_view actor, size_t offset,
                                                         size_t max) override {
    return Read<std::vector<OutboundActivity>>(
        [&]() -> absl::StatusOr<std::vector<OutboundActivity>> {
          Stmt q(db_,
                 "SELECT id, actor, type, body FROM outbound WHERE actor = ? ORDER BY seq DESC "
                 "LIMIT ? OFFSET ?");
          q.Bind(1, actor).Bind(2, Clamp(max)).Bind(3, Clamp(offset));
          std::vector<OutboundActivity> out;
          for (;;) {
            absl::StatusOr<bool> row = q.Step();
            if (!row.ok()) return row.status();
            if (!*row) return out;
            out.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3)});
          }
        });
  }

  absl::StatusOr<uint64_t> OutboxCount(std::string_view actor) override {
    return Count("SELECT COUNT(*) FROM outbound WHERE actor = ?", actor);
  }

  absl::StatusOr<bool> Receive(const InboundActivity& a) override {
    return Write<bool>([&]() -> absl::StatusOr<bool> {
      Stmt ins(db_,
               "INSERT OR IGNORE INTO inbound(id, recipient, actor, type, body, verified_by, at) "
               "VALUES(?,?,?,?,?,?,?)");
      ins.Bind(1, a.id).Bind(2, a.recipient).Bind(3, a.actor).Bind(4, a.type).Bind(5, a.body);
      ins.Bind(6, a.verified_by).Bind(7, a.received_at);
      if (absl::Status s = ins.Run(); !s.ok()) return s;
      return sqlite3_changes(db_) != 0;
    });
  }

  absl::StatusOr<bool> HasReceived(std::string_view id, std::string_view recipient) override {
    return Read<bool>([&]() -> absl::StatusOr<bool> {
      Stmt q(db_, "SELECT 1 FROM inbound WHERE id = ? AND recipient = ?");
      q.Bind(1, id).Bind(2, recipient);
      return q.Step();
    });
  }

  absl::StatusOr<std::vector<InboundActivity>> Received(std::string_view recipient, size_t after,
                                                        size_t max) override {
    return Read<std::vector<InboundActivity>>(
        [&]() -> absl::StatusOr<std::vector<InboundActivity>> {
          Stmt q(db_,
                 "SELECT id, actor, recipient, type, body, verified_by, at FROM inbound "
                 "WHERE recipient = ? ORDER BY seq LIMIT ? OFFSET ?");
          q.Bind(1, recipient).Bind(2, Clamp(max)).Bind(3, Clamp(after));
          std::vector<InboundActivity> out;
          for (;;) {
            absl::StatusOr<bool> row = q.Step();
            if (!row.ok()) return row.status();
            if (!*row) return out;
            out.push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                           q.Int(6)});
          }
        });
  }

  absl::Status PutFollower(const Follow& f) override { return PutFollow("followers", f); }
  absl::Status RemoveFollower(std::string_view local, std::string_view remote) override {
    return RemoveFollow("followers", local, remote);
  }
  absl::StatusOr<std::vector<Follow>> Followers(std::string_view local) override {
    return Follows("followers", local);
  }
  absl::Status PutFollowing(const Follow& f) override { return PutFollow("following", f); }
  absl::Status RemoveFollowing(std::string_view local, std::string_view remote) override {
    return RemoveFollow("following", local, remote);
  }
  absl::StatusOr<std::vector<Follow>> Following(std::string_view local) override {
    return Follows("following", local);
  }

  absl::StatusOr<int64_t> Hold(std::string_view member, std::string_view activity_id,
                               std::string_view body, int64_t now) override {
    return Write<int64_t>([&]() -> absl::StatusOr<int64_t> {
      Stmt had(db_, "SELECT seq FROM held WHERE member = ? AND activity = ?");
      had.Bind(1, member).Bind(2, activity_id);
      absl::StatusOr<bool> row = had.Step();
      if (!row.ok()) return row.status();
      if (*row) return had.Int(0);
      // Numbers keep rising after an Ack emptied the queue: the last one
      // given is kept in kv.
      const std::string last_key = absl::StrCat("relay-seq ", AV(member));
      Stmt last(db_, "SELECT value FROM kv WHERE key = ?");
      last.Bind(1, last_key);
      row = last.Step();
      if (!row.ok()) return row.status();
      const int64_t seq = (*row ? std::stoll(last.Text(0)) : 0) + 1;
      Stmt ins(db_, "INSERT INTO held(member, seq, activity, body, at) VALUES(?,?,?,?,?)");
      ins.Bind(1, member).Bind(2, seq).Bind(3, activity_id).Bind(4, body).Bind(5, now);
      if (absl::Status s = ins.Run(); !s.ok()) return s;
      Stmt put(db_, "INSERT OR REPLACE INTO kv(key, value) VALUES(?, ?)");
      if (absl::Status s = put.Bind(1, last_key).Bind(2, absl::StrCat(seq)).Run(); !s.ok()) {
        return s;
      }
      return seq;
    });
  }

  absl::StatusOr<std::vector<Held>> HeldFor(std::string_view member, int64_t after,
                                            size_t max) override {
    return Read<std::vector<Held>>([&]() -> absl::StatusOr<std::vector<Held>> {
      Stmt q(db_,
             "SELECT seq, activity, body, at FROM held WHERE member = ? AND seq > ? "
             "ORDER BY seq LIMIT ?");
      q.Bind(1, member).Bind(2, after).Bind(3, Clamp(max));
      std::vector<Held> out;
      for (;;) {
        absl::StatusOr<bool> row = q.Step();
        if (!row.ok()) return row.status();
        if (!*row) return out;
        out.push_back({q.Int(0), q.Text(1), q.Text(2), q.Int(3)});
      }
    });
  }

  absl::StatusOr<uint64_t> Ack(std::string_view member, int64_t seq) override {
    return Write<uint64_t>([&]() -> absl::StatusOr<uint64_t> {
      Stmt del(db_, "DELETE FROM held WHERE member = ? AND seq <= ?");
      if (absl::Status s = del.Bind(1, member).Bind(2, seq).Run(); !s.ok()) return s;
      return static_cast<uint64_t>(sqlite3_changes(db_));
    });
  }

  absl::Status Put(std::string_view key, std::string_view value) override {
    return WriteStatus([&] {
      Stmt s(db_, "INSERT OR REPLACE INTO kv(key, value) VALUES(?, ?)");
      return s.Bind(1, key).Bind(2, value).Run();
    });
  }

  absl::StatusOr<std::string> Get(std::string_view key) override {
    return Read<std::string>([&]() -> absl::StatusOr<std::string> {
      Stmt q(db_, "SELECT value FROM kv WHERE key = ?");
      q.Bind(1, key);
      absl::StatusOr<bool> row = q.Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::NotFoundError(absl::StrCat("no value for ", AV(key)));
      return q.Text(0);
    });
  }

  absl::StatusOr<StoreStatus> Status() override {
    return Read<StoreStatus>([&]() -> absl::StatusOr<StoreStatus> {
      StoreStatus st;
      struct {
        const char* sql;
        uint64_t* out;
      } counts[] = {{"SELECT COUNT(*) FROM outbound", &st.activities_out},
                    {"SELECT COUNT(*) FROM inbound", &st.activities_in},
                    {"SELECT COUNT(*) FROM deliveries", &st.deliveries_pending},
                    {"SELECT COUNT(*) FROM dead", &st.dead_letters}};
      for (auto& c : counts) {
        Stmt q(db_, c.sql);
        absl::StatusOr<bool> row = q.Step();
        if (!row.ok()) return row.status();
        *c.out = static_cast<uint64_t>(q.Int(0));
      }
      Stmt peers(db_,
                 "SELECT inbox, COUNT(*), MAX(last_error) FROM deliveries GROUP BY inbox "
                 "ORDER BY COUNT(*) DESC, inbox");
      for (;;) {
        absl::StatusOr<bool> row = peers.Step();
        if (!row.ok()) return row.status();
        if (!*row) return st;
        st.peers.push_back({peers.Text(0), static_cast<uint64_t>(peers.Int(1)), peers.Text(2)});
      }
    });
  }

 private:
  static int64_t Clamp(size_t n) { return static_cast<int64_t>(std::min<size_t>(n, INT64_MAX)); }

  absl::Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      absl::Status s = absl::InternalError(absl::StrCat("sqlite: ", err != nullptr ? err : "?"));
      sqlite3_free(err);
      return s;
    }
    return absl::OkStatus();
  }

  // After a failure: nothing of the transaction stays. (A ROLLBACK that
  // fails has nothing left to undo: SQLite rolled back already.)
  void Rollback() { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  // `body` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK on error).
  template <typename T, typename F>
  absl::StatusOr<T> Write(F body) {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
    absl::StatusOr<T> r = body();
    if (!r.ok()) {
      Rollback();
      return r;
    }
    if (absl::Status s = Exec("COMMIT"); !s.ok()) {
      Rollback();
      return s;
    }
    return r;
  }
  template <typename F>
  absl::Status WriteStatus(F body) {
    absl::StatusOr<bool> r = Write<bool>([&]() -> absl::StatusOr<bool> {
      absl::Status s = body();
      if (!s.ok()) return s;
      return true;
    });
    return r.ok() ? absl::OkStatus() : r.status();
  }
  // Reads see one snapshot (a deferred transaction).
  template <typename T, typename F>
  absl::StatusOr<T> Read(F body) {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = Exec("BEGIN"); !s.ok()) return s;
    absl::StatusOr<T> r = body();
    if (absl::Status s = Exec("COMMIT"); !s.ok()) Rollback();
    return r;
  }

  absl::StatusOr<uint64_t> Count(const char* sql, std::string_view arg) {
    return Read<uint64_t>([&]() -> absl::StatusOr<uint64_t> {
      Stmt q(db_, sql);
      q.Bind(1, arg);
      absl::StatusOr<bool> row = q.Step();
      if (!row.ok()) return row.status();
      return static_cast<uint64_t>(q.Int(0));
    });
  }

  absl::Status PutFollow(const char* table, const Follow& f) {
    return WriteStatus([&] {
      Stmt s(db_, absl::StrCat("INSERT OR REPLACE INTO ", table,
                               "(local, remote, inbox, shared_inbox, state, follow_id, updated_at)"
                               " VALUES(?,?,?,?,?,?,?)"));
      s.Bind(1, f.local).Bind(2, f.remote).Bind(3, f.inbox).Bind(4, f.shared_inbox);
      s.Bind(5, static_cast<int64_t>(f.state)).Bind(6, f.follow_id).Bind(7, f.updated_at);
      return s.Run();
    });
  }
  absl::Status RemoveFollow(const char* table, std::string_view local, std::string_view remote) {
    return WriteStatus([&] {
      Stmt s(db_, absl::StrCat("DELETE FROM ", table, " WHERE local = ? AND remote = ?"));
      return s.Bind(1, local).Bind(2, remote).Run();
    });
  }
  absl::StatusOr<std::vector<Follow>> Follows(const char* table, std::string_view local) {
    return Read<std::vector<Follow>>([&]() -> absl::StatusOr<std::vector<Follow>> {
      Stmt q(db_, absl::StrCat("SELECT local, remote, inbox, shared_inbox, state, follow_id, "
                               "updated_at FROM ",
                               table, " WHERE local = ? ORDER BY remote"));
      q.Bind(1, local);
      std::vector<Follow> out;
      for (;;) {
        absl::StatusOr<bool> row = q.Step();
        if (!row.ok()) return row.status();
        if (!*row) return out;
        Follow f;
        f.local = q.Text(0);
        f.remote = q.Text(1);
        f.inbox = q.Text(2);
        f.shared_inbox = q.Text(3);
        f.state = static_cast<FollowState>(std::clamp<int64_t>(q.Int(4), 0, 2));
        f.follow_id = q.Text(5);
        f.updated_at = q.Int(6);
        out.push_back(std::move(f));
      }
    });
  }

  sqlite3* db_;
  std::mutex mu_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FedStore>> OpenSqliteStore(const std::string& path,
                                                          int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return absl::UnavailableError(absl::StrCat(path, ": ", why));
  }
  auto store = std::make_unique<SqliteStore>(db);
  if (absl::Status s = store->Init(busy_timeout_ms); !s.ok()) return s;
  return store;
}

}  // namespace sexp::fed
