// The one translation unit that compiles Asio (with its OpenSSL layer) and Beast
// (BOOST_*_SEPARATE_COMPILATION is set for every target), so the rest of the build only parses
// their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
