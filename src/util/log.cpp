#include "util/log.hpp"

#include "model/json_text.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <cstdio>
#include <mutex>

namespace progressd {
namespace {

// A sink on a fully buffered FILE* over a duplicate of fd 2. spdlog's own stderr sink flushes
// every line; this one leaves flushing to flush_on() and flush_every().
class buffered_stderr_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    buffered_stderr_sink() : file_(fdopen(dup(STDERR_FILENO), "w")) {
        if (file_ == nullptr) file_ = stderr;
        std::setvbuf(file_, nullptr, _IOFBF, std::size_t{64} * 1024);
    }
    ~buffered_stderr_sink() override {
        std::fflush(file_);
        if (file_ != stderr) std::fclose(file_);
    }
    buffered_stderr_sink(const buffered_stderr_sink&) = delete;
    buffered_stderr_sink& operator=(const buffered_stderr_sink&) = delete;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        std::fwrite(line.data(), 1, line.size(), file_);
    }
    void flush_() override { std::fflush(file_); }

private:
    std::FILE* file_;
};

// The %* flag of the JSON pattern: the message as JSON members (see configure_logging).
class json_message_flag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
                spdlog::memory_buf_t& dest) override {
        const std::string_view text(msg.payload.data(), msg.payload.size());
        if (text.starts_with(R"({"type":)") && text.ends_with('}')) {
            const auto members = text.substr(1, text.size() - 2);
            dest.append(members.data(), members.data() + members.size());
            return;
        }
        std::string escaped = R"("message":)";
        model::append_json_string(escaped, text);
        dest.append(escaped.data(), escaped.data() + escaped.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<json_message_flag>();
    }
};

}  // namespace

void configure_logging(const std::string& level, bool json) {
    auto logger =
        std::make_shared<spdlog::logger>("progressd", std::make_shared<buffered_stderr_sink>());
    if (json) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc,
                                                                     std::string("\n"));
        formatter->add_flag<json_message_flag>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%*})");
        logger->set_formatter(std::move(formatter));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    }
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
    spdlog::flush_every(std::chrono::seconds(1));
}

void flush_logs() { spdlog::default_logger()->flush(); }

}  // namespace progressd
