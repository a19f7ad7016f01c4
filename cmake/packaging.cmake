# Installation and the Debian package (issue 12).
#   make install   both programs to PREFIX/bin, the systemd unit and the nginx sample to
#                  PREFIX/share/progressd (the unit's ExecStart rewritten to PREFIX/bin)
#   make deb       a .deb built by CPack: the programs in /usr/bin, the unit in
#                  /lib/systemd/system running as the system user progressd (created by
#                  postinst), its data in /var/lib/progressd; tests/deploy/verify_deb.sh checks it.
include(GNUInstallDirs)

# cpack would otherwise build every target (tests, benchmarks) before it installs two programs.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS progressd progressctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/nginx.conf DESTINATION ${CMAKE_INSTALL_DATADIR}/progressd)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/progressd)

# deploy/progressd.service starts /usr/local/bin/progressd; the copy installed beside the nginx
# sample starts the program where this installation put it. The prefix is known only when
# installing (`cmake --install --prefix`, or /usr under cpack), hence a script.
set(progressd_unit_script ${CMAKE_CURRENT_BINARY_DIR}/install_unit.cmake)
file(WRITE ${progressd_unit_script} "
file(READ \"${PROJECT_SOURCE_DIR}/deploy/progressd.service\" unit)
string(REPLACE \"ExecStart=/usr/local/bin/progressd \"
    \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/progressd \" unit \"\${unit}\")
file(WRITE \"${CMAKE_CURRENT_BINARY_DIR}/share/progressd.service\" \"\${unit}\")
file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/progressd\"
    TYPE FILE FILES \"${CMAKE_CURRENT_BINARY_DIR}/share/progressd.service\")
")
install(SCRIPT ${progressd_unit_script})

# The packaged unit: the same sandbox, but a fixed system user instead of DynamicUser=, so that
# /var/lib/progressd is a plain directory that the package owns and purges.
file(READ ${PROJECT_SOURCE_DIR}/deploy/progressd.service progressd_unit)
string(REPLACE "ExecStart=/usr/local/bin/progressd " "ExecStart=/usr/bin/progressd "
    progressd_unit "${progressd_unit}")
string(REPLACE "DynamicUser=yes" "User=progressd\nGroup=progressd" progressd_unit "${progressd_unit}")
string(REPLACE "Install: see deploy/README.md." "Installed by the progressd package."
    progressd_unit "${progressd_unit}")
string(REPLACE "# The service runs as a dynamic user" "# The service runs as the system user progressd"
    progressd_unit "${progressd_unit}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/deb/progressd.service "${progressd_unit}")
# Only in the package (component deb): `make install` under /usr/local leaves /lib alone.
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/deb/progressd.service
    DESTINATION /lib/systemd/system COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/copyright
    DESTINATION /usr/share/doc/progressd COMPONENT deb EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME progressd)
set(CPACK_PACKAGE_VENDOR progressd)
set(PROGRESSD_DEB_MAINTAINER "progressd maintainers <progressd@example.org>"
    CACHE STRING "Maintainer field of the Debian package (make deb)")
set(CPACK_PACKAGE_CONTACT "${PROGRESSD_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "live progress tracker for setup scripts")
set(CPACK_PACKAGE_DESCRIPTION "progressd receives the progress of setup and automation scripts
over HTTP and shows it live in a browser or a terminal. It answers the API of
the Next.js app it replaces and keeps its data in SQLite, Redis or an
Upstash-compatible REST store.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The unit goes to an absolute path, which CPack stages only through DESTDIR.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${CMAKE_BINARY_DIR};progressd;Unspecified;/"
    "${CMAKE_BINARY_DIR};progressd;deb;/")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/progressd")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/debian/postinst
    ${PROJECT_SOURCE_DIR}/cmake/debian/prerm
    ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
include(CPack)
