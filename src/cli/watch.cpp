#include "cli/watch.hpp"

#include "cli/http_client.hpp"
#include "cli/terminal_text.hpp"
#include "util/net.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace progressd::cli {
namespace {

using bhttp::verb;

enum class outcome { running, succeeded, failed, expired };

// Server-controlled text as it may be printed: a string's content, or any other JSON value.
std::string text(const json::value& v) {
    if (v.is_string()) return printable(std::string(v.get_string()));
    return printable(json::serialize(v));
}

// How many problems a progress reports: tools in `error` and entries of `errors`.
std::size_t problems_in(const json::object& p) {
    std::size_t n = p.at("errors").as_array().size();
    for (const auto& [name, tool] : p.at("toolStatus").as_object()) {
        if (tool.at("status") == "error") ++n;
    }
    return n;
}

// The bar as the live page computes it (web/dashboard.js, stepInfo): distinct completed steps
// out of totalSteps, or when no total is given out of the largest step number seen; a
// completed run is full whatever its steps say.
int percent_done(const json::object& p) {
    std::set<double> completed;
    for (const auto& step : p.at("completedSteps").as_array()) {
        completed.insert(step.to_number<double>());
    }
    const auto done = static_cast<double>(completed.size());
    const auto* given = p.if_contains("totalSteps");
    double total = given ? given->to_number<double>() : 0;
    if (!(total > 0)) {
        total = std::max({1.0, p.at("currentStep").to_number<double>(), done});
        if (!completed.empty()) total = std::max(total, *completed.rbegin());
    }
    const double fraction = p.at("complete").as_bool() ? 1.0 : std::min(1.0, done / total);
    return static_cast<int>(std::lround(fraction * 100));
}

//------------------------------------------------------------------------------
// What the reader sees

class view {
public:
    view(std::ostream& out, bool tty) : out_(out), tty_(tty) {}

    void waiting(const std::string& id) {
        line("waiting for session " + printable(id) + " to start");
    }
    void note(const std::string& message) { line(printable(message)); }

    void show(const json::object& p) {
        last_ = p;
        if (tty_) {
            redraw();
        } else {
            line(summary(p));
        }
    }

    // A new entry of the error log: printed once as a line, and kept on the screen.
    void logged(const json::value& entry) {
        last_error_ = "error log: " + text(entry.at("tool")) + ": " + text(entry.at("error"));
        if (tty_ && last_) {
            redraw();
        } else {
            line(last_error_);
        }
    }

    void finished(const std::string& verdict) {
        verdict_ = verdict;
        if (tty_ && last_) {
            redraw();
        } else {
            line(verdict);
        }
    }

private:
    // The strings here are appended, not built with `"literal" + std::string`, which GCC 12
    // inlines into a false -Warray-bounds warning.
    static std::string steps(const json::object& p) {
        std::string s = text(p.at("currentStep"));
        if (const auto* total = p.if_contains("totalSteps")) {
            s += '/';
            s += text(*total);
        }
        return s;
    }

    static std::string summary(const json::object& p) {
        std::string s = "step ";
        s += steps(p);
        s += ' ';
        s += text(p.at("currentAction"));
        for (const auto& [name, tool] : p.at("toolStatus").as_object()) {
            s += " | ";
            s += printable(std::string(name));
            s += ": ";
            s += text(tool.at("status"));
            if (const auto* v = tool.as_object().if_contains("version"); v && v->is_string()) {
                s += ' ';
                s += text(*v);
            }
        }
        if (p.at("complete").as_bool()) s += " | complete";
        return s;
    }

    static std::string bar(const json::object& p) {
        const int percent = percent_done(p);
        const int width = 30;
        const int filled = width * percent / 100;
        std::string s = "[";
        s.append(static_cast<std::size_t>(filled), '#');
        s.append(static_cast<std::size_t>(width - filled), '.');
        s += "] ";
        s += std::to_string(percent);
        s += '%';
        return s;
    }

    void redraw() {
        const json::object& p = *last_;
        out_ << "\x1b[H\x1b[2J" << bar(p) << "  ";
        if (p.at("complete").as_bool()) {
            out_ << "finished\n";
        } else {
            out_ << "step " << steps(p) << "\n";
        }
        out_ << text(p.at("currentAction")) << "\n\n";
        for (const auto& [name, tool] : p.at("toolStatus").as_object()) {
            tool_line(std::string(name), tool);
        }
        for (const auto& e : p.at("errors").as_array()) {
            out_ << "\x1b[31m! " << text(e.at("tool")) << ": " << text(e.at("error"))
                 << "\x1b[0m\n  fix: " << text(e.at("suggestedFix")) << "\n";
        }
        if (!last_error_.empty()) out_ << "\n\x1b[31m" << last_error_ << "\x1b[0m\n";
        if (!verdict_.empty()) out_ << "\n" << verdict_ << "\n";
        out_.flush();
    }

    void tool_line(const std::string& name, const json::value& tool) {
        const std::string status = text(tool.at("status"));
        const char* mark = status == "success"      ? "\x1b[32m✓"
                           : status == "error"      ? "\x1b[31m✗"
                           : status == "installing" ? "\x1b[33m…"
                                                    : "\x1b[2m·";
        out_ << mark << " " << printable(name) << "\x1b[0m " << status;
        if (const auto* v = tool.as_object().if_contains("version"); v && v->is_string()) {
            out_ << " " << text(*v);
        }
        if (const auto* e = tool.as_object().if_contains("error"); e && e->is_string()) {
            out_ << " — " << text(*e);
        }
        out_ << "\n";
    }

    void line(const std::string& s) { out_ << s << "\n" << std::flush; }

    std::ostream& out_;
    bool tty_;
    std::optional<json::object> last_;
    std::string last_error_;
    std::string verdict_;
};

//------------------------------------------------------------------------------
// Following the session

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
        : client_(base_url), id_(std::move(id)), options_(options), view_(out, options.tty) {
        client_.set_token(options.token);
    }

    int run() {
        try {
            if (!follow_stream()) poll();
            if (last_) conclude();
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

    void on_progress(json::object p) {
        view_.show(p);
        state_ = p.at("complete").as_bool() ? outcome::succeeded : outcome::running;
        last_ = std::move(p);
    }

    // The run completed: the error log decides too (entries may still be on their way in the
    // stream, so ask for it), and the final frame says how it ended.
    void conclude() {
        if (state_ == outcome::expired || state_ == outcome::running) return;
        const auto r = client_.request(verb::get, target() + "/log");
        if (r.status == 200) {
            const auto entries = json::parse(r.body).at("errors").as_array();
            if (entries.size() > log_entries_) view_.logged(entries.back());
            log_entries_ = std::max<std::size_t>(log_entries_, entries.size());
        }
        const std::size_t problems = problems_in(*last_);
        if (problems == 0 && log_entries_ == 0) {
            view_.finished("✓ the run completed");
            return;
        }
        state_ = outcome::failed;
        view_.finished("✗ the run completed with errors (" + std::to_string(problems) +
                       " in the progress, " + std::to_string(log_entries_) + " in the error log)");
    }

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
            if (status == 401 || status == 403) {
                throw std::runtime_error("the server answered " + std::to_string(status) +
                                         ": a read token is needed (--token)");
            }
            if (status != 200) return false;
            if (state_ != outcome::running) return true;
            // The server closed the stream (it restarted): come back, as EventSource would.
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    }

    void on_event(const std::string& name, const std::string& data) {
        if (name == "progress") {
            on_progress(json::parse(data).as_object());
        } else if (name == "log") {
            ++log_entries_;
            view_.logged(json::parse(data));
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
        for (;;) {
            cli::header_list headers;
            if (!etag.empty()) headers.emplace_back("If-None-Match", etag);
            const auto r = client_.request(verb::get, target(), {}, headers);
            if (r.status == 200) {
                etag = r.header("etag");
                on_progress(json::parse(r.body).as_object());
                if (state_ != outcome::running) return;
            } else if (r.status == 404) {
                if (last_) {
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
    std::optional<json::object> last_;
    std::size_t log_entries_ = 0;
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
