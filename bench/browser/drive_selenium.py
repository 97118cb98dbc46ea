#!/usr/bin/python3
# bench/browser/drive_selenium.py - the same lab-page task as drive_playwright.mjs with
# Debian's python3-selenium and chromium-driver, timed in phases.
import os, sys, time
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from selenium.webdriver.chrome.service import Service

base = os.environ["MLPD_URL"]
t = [time.monotonic()]
def lap():
    now = time.monotonic(); d = (now - t[0]) * 1000; t[0] = now; return "%.0f" % d
opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=1280,900"]:
    opts.add_argument(a)
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
launch = lap()
wait = WebDriverWait(drv, 60, poll_frequency=0.05)
def attr_set(sel, name, want=None):
    def ok(d):
        v = d.find_element(By.CSS_SELECTOR, sel).get_attribute(name)
        return v is not None and (v != "" if want is None else v == want)
    wait.until(ok)
drv.get(base + "/")
drv.find_element(By.ID, "preset-lecture").click()
attr_set("#model-info", "data-model-id")
Select(drv.find_element(By.ID, "d-set")).select_by_visible_text("xor")
n_in = drv.find_element(By.ID, "d-n"); n_in.clear(); n_in.send_keys("200")
drv.find_element(By.ID, "generate").click()
attr_set("#data-info", "data-total", "200")
drv.find_element(By.ID, "explain").click()
wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#explanation [data-sym="delta_4"]'))
drv.find_element(By.CSS_SELECTOR, "#lecture summary").click()
attr_set("#lecture-text", "data-loaded", "yes")
n = len(drv.find_elements(By.CSS_SELECTOR, "#lecture-text math"))
task = lap()
drv.quit()
print("selenium: launch %s ms, task %s ms, close %s ms (%d formulas)" % (launch, task, lap(), n))
