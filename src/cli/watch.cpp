#include "cli/watch.hpp"

#include "cli/http_client.hpp"
#include "util/net.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <optional>
#include <stdexcept>
#include <thread>

namespace progressd::cli {
namespace {

using bhttp::verb;

enum class outcome { running, succeeded, failed, expired };

// How a session ended, or `running`.
outcome outcome_of(const json::object& p) {
    if (!p.at("complete").as_bool()) return outcome::running;
    bool errors = !p.at("errors").as_array().empty();
    for (const auto& [name, tool] : p.at("toolStatus").as_object()) {
        errors = errors || tool.at("status") == "error";
    }
    return errors ? outcome::failed : outcome::succeeded;
}

std::string text(const json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

class view {
public:
    view(std::ostream& out, bool tty) : out_(out), tty_(tty) {}

    void waiting(const std::string& id) { line("waiting for session " + id + " to start"); }
    void note(const std::string& message) { line(message); }

    void show(const json::object& p) {
        const auto& tools = p.at("toolStatus").as_object();
        std::string steps = text(p.at("currentStep"));
        if (const auto* total = p.if_contains("totalSteps")) steps += "/" + text(*total);
        if (!tty_) {
            std::string summary = "step " + steps + " " + text(p.at("currentAction"));
            for (const auto& [name, tool] : tools) {
                summary += std::string(" | ") + std::string(name) + ": " + text(tool.at("status"));
                if (const auto* v = tool.as_object().if_contains("version"); v && v->is_string()) {
                    summary += " " + text(*v);
                }
            }
            if (p.at("complete").as_bool()) summary += " | complete";
            line(summary);
            return;
        }
        out_ << "\x1b[H\x1b[2J" << bar(p) << "  step " << steps << "\n"
             << text(p.at("currentAction")) << "\n\n";
        for (const auto& [name, tool] : tools) {
            const std::string status = text(tool.at("status"));
            const char* colour = status == "success"      ? "\x1b[32m✓"
                                 : status == "error"      ? "\x1b[31m✗"
                                 : status == "installing" ? "\x1b[33m…"
                                                          : "\x1b[2m·";
            out_ << colour << " " << std::string(name) << "\x1b[0m " << status;
            if (const auto* v = tool.as_object().if_contains("version"); v && v->is_string()) {
                out_ << " " << text(*v);
            }
            if (const auto* e = tool.as_object().if_contains("error"); e && e->is_string()) {
                out_ << " — " << text(*e);
            }
            out_ << "\n";
        }
        for (const auto& e : p.at("errors").as_array()) {
            out_ << "\x1b[31m! " << text(e.at("tool")) << ": " << text(e.at("error"))
                 << "\x1b[0m\n  fix: " << text(e.at("suggestedFix")) << "\n";
        }
        out_.flush();
    }

private:
    static std::string bar(const json::object& p) {
        const double done = static_cast<double>(p.at("completedSteps").as_array().size());
        const auto* total_value = p.if_contains("totalSteps");
        const double total = total_value ? total_value->to_number<double>()
                                         : std::max(done, p.at("currentStep").to_number<double>());
        const int width = 30;
        const int filled = total > 0 ? static_cast<int>(width * std::min(done / total, 1.0)) : 0;
        return "[" + std::string(static_cast<std::size_t>(filled), '#') +
               std::string(static_cast<std::size_t>(width - filled), '.') + "]";
    }

    void line(const std::string& s) { out_ << s << "\n" << std::flush; }

    std::ostream& out_;
    bool tty_;
};

// Reads Server-Sent Events out of a byte stream, one complete event at a time.
class event_reader {
public:
    template <class OnEvent>
    void feed(std::string_view bytes, OnEvent&& on_event) {
        buffer_ += bytes;
        std::size_t end = 0;
        while ((end = buffer_.find("\n\n")) != std::string::npos) {
            std::string name, data;
            std::size_t at = 0;
            const std::string block = buffer_.substr(0, end);
            buffer_.erase(0, end + 2);
            while (at < block.size()) {
                const auto line_end = std::min(block.find('\n', at), block.size());
                const std::string_view line(block.data() + at, line_end - at);
                if (line.starts_with("event: ")) name = line.substr(7);
                if (line.starts_with("data: ")) data = line.substr(6);
                at = line_end + 1;
            }
            if (!name.empty()) on_event(name, data);
        }
    }

private:
    std::string buffer_;
};

class watcher {
public:
    watcher(const std::string& base_url, std::string id, const watch_options& options,
            std::ostream& out)
        : client_(base_url), id_(std::move(id)), options_(options), view_(out, options.tty) {}

    int run() {
        try {
            if (!follow_stream()) poll();
        } catch (const std::exception& e) {
            view_.note(std::string("cannot follow the session: ") + e.what());
            return 1;
        }
        switch (state_) {
            case outcome::succeeded:
                return 0;
            case outcome::failed:
                return 2;
            default:
                return 1;
        }
    }

private:
    std::string target() const { return "/api/progress/" + encode_path_segment(id_); }

    // Follows the event stream until the session ends; false when the server offers none.
    bool follow_stream() {
        event_reader reader;
        for (;;) {
            const unsigned status = client_.stream(
                target() + "/events", {{"Accept", "text/event-stream"}},
                [&](std::string_view bytes) {
                    reader.feed(bytes, [&](const std::string& name, const std::string& data) {
                        on_event(name, data);
                    });
                    return state_ == outcome::running;
                },
                std::chrono::seconds(45));  // three heartbeats
            if (status != 200) return false;
            if (state_ != outcome::running) return true;
            // The server closed the stream (it restarted): come back, as EventSource would.
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    }

    void on_event(const std::string& name, const std::string& data) {
        if (name == "progress") {
            const auto p = json::parse(data).as_object();
            view_.show(p);
            state_ = outcome_of(p);
        } else if (name == "log") {
            const auto e = json::parse(data);
            view_.note("error log: " + text(e.at("tool")) + ": " + text(e.at("error")));
        } else if (name == "waiting") {
            view_.waiting(id_);
        } else if (name == "expired") {
            view_.note("session " + id_ + " expired");
            state_ = outcome::expired;
        }
    }

    // The fallback: GET with If-None-Match until the session ends or disappears.
    void poll() {
        std::string etag;
        bool seen = false;
        for (;;) {
            cli::header_list headers;
            if (!etag.empty()) headers.emplace_back("If-None-Match", etag);
            const auto r = client_.request(verb::get, target(), {}, headers);
            if (r.status == 200) {
                etag = r.header("etag");
                seen = true;
                const auto p = json::parse(r.body).as_object();
                view_.show(p);
                state_ = outcome_of(p);
                if (state_ != outcome::running) return;
            } else if (r.status == 404) {
                if (seen) {
                    view_.note("session " + id_ + " expired");
                    state_ = outcome::expired;
                    return;
                }
            } else if (r.status != 304) {
                throw std::runtime_error("the server answered " + std::to_string(r.status));
            }
            std::this_thread::sleep_for(options_.poll_interval);
        }
    }

    http_client client_;
    std::string id_;
    watch_options options_;
    view view_;
    outcome state_ = outcome::running;
};

}  // namespace

int run_watch(const std::string& base_url, const std::string& id, const watch_options& options,
              std::ostream& out) {
    try {
        watcher w(base_url, id, options, out);
        return w.run();
    } catch (const std::invalid_argument& e) {
        out << "progressctl: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace progressd::cli
