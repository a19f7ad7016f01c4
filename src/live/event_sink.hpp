// Where an event stream writes: the HTTP session implements it over its socket, tests over a
// string. Keeps live/ free of Beast.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace progressd::live {

class event_sink {
public:
    virtual ~event_sink() = default;
    /// Writes `text` to the client; false when the client is gone or too slow (the stream ends).
    virtual boost::asio::awaitable<bool> send(std::string text) = 0;

    /// Sets what to call when the client disconnects (an empty function clears it). The sink
    /// notices a disconnect at once, not only at its next write, so a closed tab frees its
    /// watcher slot immediately. Called on the stream's executor.
    void on_disconnect(std::function<void()> handler) { disconnect_handler_ = std::move(handler); }

    /// For implementations: the client is gone.
    void notify_disconnect() {
        if (disconnect_handler_) disconnect_handler_();
    }

private:
    std::function<void()> disconnect_handler_;
};

}  // namespace progressd::live
