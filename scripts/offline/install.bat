@echo off
rem xuncha @VERSION@ offline install: double-click, or "install.bat D:\xuncha". See README.md.
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*
pause
